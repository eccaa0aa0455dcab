/**
 * F2: the thing-attribute form of a vehicle fact is injective (contracts/vehicle-identity.ts). Properties over
 * random Unicode text (seeded, so a failure repeats): every form fits AWS IoT's attribute charset, distinct values
 * never share a form, and a form reads back to its value; a text no value encodes to reads back as nothing.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { factFromAttributeValue, legacyAttributeValue, thingAttributeValue } from "../../../contracts/vehicle-identity.js";
import { seededRandom as random } from "../lib/support/seeded-random.js";

const AWS_ATTRIBUTE_VALUE = /^[a-zA-Z0-9_.,@/:#=[\]-]*$/;

/** Characters weighted toward where encodings go wrong: the escape and space characters, ASCII, accents, astral, lone surrogates. */
function randomText(next: () => number, wellFormed: boolean): string {
  const pools: Array<() => string> = [
    () => " _=-.#[]()<>+&%?!'\"\\"[Math.floor(next() * 22)]!,
    () => String.fromCharCode(0x20 + Math.floor(next() * 95)),
    () => String.fromCodePoint(0xa0 + Math.floor(next() * 0x2000)),
    () => String.fromCodePoint(0x10000 + Math.floor(next() * 0x10000)),
    () => "=" + "0123456789ABCDEFabcdef"[Math.floor(next() * 22)]! + "0123456789ABCDEF"[Math.floor(next() * 16)]!,
    ...(wellFormed ? [] : [() => String.fromCharCode(0xd800 + Math.floor(next() * 0x800))]),
  ];
  let text = "";
  const length = Math.floor(next() * 12);
  for (let index = 0; index < length; index++) text += pools[Math.floor(next() * pools.length)]!();
  return text;
}

test("every form is an AWS IoT attribute value; decode(encode(x)) = x over 20,000 random well-formed texts", () => {
  const next = random(20261202);
  for (let run = 0; run < 20_000; run++) {
    const value = randomText(next, true);
    const form = thingAttributeValue(value);
    assert.ok(AWS_ATTRIBUTE_VALUE.test(form), `${JSON.stringify(value)} -> ${form}`);
    assert.is(factFromAttributeValue(form), value, `${JSON.stringify(value)} -> ${form}`);
  }
});

test("injective: 50,000 random texts (lone surrogates included) and their near neighbours never share a form", () => {
  const next = random(7);
  const owner = new Map<string, string>();
  const add = (value: string) => {
    const form = thingAttributeValue(value);
    const other = owner.get(form);
    if (other !== undefined && other !== value) assert.unreachable(`${JSON.stringify(other)} and ${JSON.stringify(value)} share ${form}`);
    owner.set(form, value);
  };
  for (let run = 0; run < 50_000; run++) {
    const value = randomText(next, run % 2 === 0);
    add(value);
    // Its near neighbours: each space as _, each _ as a space, the form itself taken as a value.
    add(value.replaceAll(" ", "_"));
    add(value.replaceAll("_", " "));
    add(thingAttributeValue(value));
  }
  assert.ok(owner.size > 50_000);
});

test("the pairs the lossy form confused are told apart; plain values keep their old form", () => {
  for (const [a, b] of [["Citroën", "Citroén"], ["hu-3 (EU)", "hu-3 <EU>"], ["tcu+2", "tcu&2"]]) {
    assert.is(legacyAttributeValue(a!), legacyAttributeValue(b!), `the lossy form confused ${a} / ${b}`);
    assert.is.not(thingAttributeValue(a!), thingAttributeValue(b!), `${a} / ${b}`);
  }
  for (const [a, b] of [["Model 3", "Model_3"], ["hu_3", "hu=5F3"], ["\uD800", "\uFFFD"], ["", " "]]) assert.is.not(thingAttributeValue(a!), thingAttributeValue(b!), `${a} / ${b}`);
  assert.is(thingAttributeValue("Citroën"), "Citro=C3=ABn");
  assert.is(thingAttributeValue("hu-3 (EU)"), "hu-3_=28EU=29");
  for (const plain of ["Honda", "Model 3", "F-150 Lightning", "ID.4", "tcu/2.1", "TM3-HW3", "a@b:c#d[e]"]) {
    assert.is(thingAttributeValue(plain), legacyAttributeValue(plain), plain);
  }
});

test("a text no value encodes to reads back as nothing: lower-case or short escapes, escaped literals, invalid UTF-8, characters outside the set", () => {
  for (const form of ["Citro=c3=abn", "a=4", "a=", "=41", "=5f", "=C3", "=ED=A0=80", "=FF", "a b", "a+b", "ë"]) {
    assert.is(factFromAttributeValue(form), undefined, form);
  }
  const next = random(99);
  for (let run = 0; run < 20_000; run++) {
    let form = "";
    for (let index = Math.floor(next() * 10); index > 0; index--) form += "=_A9Cf.-"[Math.floor(next() * 8)];
    const fact = factFromAttributeValue(form);
    if (fact !== undefined) assert.is(thingAttributeValue(fact), form, form);
  }
});

test.run();
