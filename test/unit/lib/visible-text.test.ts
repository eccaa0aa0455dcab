import { test } from "uvu";
import * as assert from "uvu/assert";
import { visibleText } from "../../../lib/visible-text.js";

test("shows every control, bidi mark, override or isolate and line separator as its escape", () => {
  const acting = ["\u0000", "\u001b", "\r", "\n", "\u007f", "\u009b", "\u061c", "\u200e", "\u200f", "\u2028", "\u2029", "\u202a", "\u202e", "\u2066", "\u2069"];
  for (const character of acting) {
    const shown = visibleText(`a${character}b`);
    assert.is(shown, `a\\u${character.charCodeAt(0).toString(16).padStart(4, "0")}b`, JSON.stringify(character));
  }
});

test("leaves markup, quotes, accents and other scripts as they are (a text node keeps them inert)", () => {
  for (const text of ['<img src=x onerror="alert(1)">', "Citroën ë", "日本語 עברית", "c-1; curl … | sh"]) assert.is(visibleText(text), text);
});

test.run();
