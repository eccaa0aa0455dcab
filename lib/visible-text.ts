/**
 * Text someone else wrote (a vehicle's failure reason, a sender's message, a name), shown as it reads: every
 * character that would act instead of being read is turned into a visible `\uXXXX` escape. Shared by the
 * operator CLI (a terminal obeys escape sequences) and the web dashboard (a bidi override reorders the text
 * after it, so `evil‮txt.exe` would read as another name, and a command beside it as another command).
 */

/**
 * Characters that must not reach a reader as themselves: C0 controls (ESC starts escape sequences, CR overwrites
 * a line, LF forges one), DEL, C1 controls (U+009B is a one-character CSI), the Unicode line separators, and the
 * bidirectional marks, embeddings, overrides and isolates that make text display in another order than it reads.
 */
export const ACTING_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
/** The same, but line feeds and tabs pass: for whole blocks of output the CLI itself composed. */
export const ACTING_CHARACTERS_IN_BLOCK = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** One character as its visible `\uXXXX` escape (also valid inside a JSON string). */
export function visibleEscape(character: string): string {
  return `\\u${character.charCodeAt(0).toString(16).padStart(4, "0")}`;
}

/**
 * The text with every acting character shown as its escape: read, never obeyed.
 *
 * @example
 * visibleText("flash failed\u001b[2J"); // "flash failed\\u001b[2J"
 * visibleText("c-1\u202eexe.txt"); // "c-1\\u202eexe.txt"
 */
export function visibleText(text: string): string {
  return text.replace(ACTING_CHARACTERS, visibleEscape);
}
