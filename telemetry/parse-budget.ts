import { randomInt } from "node:crypto";

/**
 * What JSON.parse may be asked to build for one object's lines, checked on the text before it is parsed. The schema
 * lets a record carry keys it does not name (newer vehicles may send more), and JSON.parse pays for what it builds:
 * measured with Lambda's heap flags, an array or object ~0.15 µs, a member ~0.1 µs, and a key the process has not
 * seen ~3 µs (V8 makes a new string and hidden class for it), against ~10 µs for a whole clean record. A line bound
 * alone let an object of 10,000 short lines open 2.5 million arrays (0.35-0.45 CPU-s) or name 800,000 distinct keys
 * (~1.1 CPU-s, not scanned at all under 1 KiB), while a clean object at the line limit costs 0.10 CPU-s (0.3 with an
 * `ota` block in every record: the full validator).
 */
export const PARSE_BUDGET = {
  /** Arrays and objects one line may open. A record opens 7 (8 with an `ota` block). */
  lineContainers: 256,
  /** Members (keys) one line may have. A record has 29 of its own, 37 with an `ota` block, plus one an ECU. */
  lineMembers: 512,
  /** Arrays and objects a line opens free of the object's budget. */
  freeContainers: 16,
  /** Members a line has free of the object's budget: a record's own with an `ota` block and some 25 ECUs. */
  freeMembers: 64,
  /**
   * Or one free member for this many characters of the line, if more: a record's own text (~570 characters) and its ECU
   * entries earn their members. The shortest entry the schema allows is 12 characters (`"a":"0.0.0",`, a real one
   * 14-21: `"telematics":"3.2.1",`), so a record of the schema's 256 ECUs (MAX_ECUS, telemetry/schema.ts), even of the
   * shortest names and versions, stays within the object's budget to the 16 MiB limit (at 20, review 17's R17-B2, such
   * records were refused past ~2,500 of an object; 3-letter names past ~3,200). Short keys of short values
   * (`"a1":0,`, ~7 characters) still pay for half of theirs.
   */
  charsPerFreeMember: 14,
  /** Arrays, objects and members beyond the free ones, over an object's scanned lines. */
  objectExtra: 256 * 1024,
  /** Array elements a line has free of the object's elements budget: records have none (the schema names no array). */
  freeElements: 64,
  /**
   * Array elements beyond the free ones, over an object's scanned lines. Elements are neither members nor containers:
   * 255 records each with a 64 KiB unknown key of a wide array of numbers (8 million elements) were accepted at
   * 0.28-0.44 CPU-s; 65,536 cost a few ms.
   */
  objectElements: 64 * 1024,
  /** Distinct keys an object's scanned lines may name: the schema's ~40 and a fleet's ECU names, with room. */
  objectKeys: 4096,
  /**
   * Distinct key sequences an object's scanned lines may begin (each a hidden class V8 builds as it parses: the keys of
   * one JSON object in order, from its first on). Distinct keys alone do not bound them: 2,331 lines of 60 small
   * objects, 8 keys each in random order from 4,000 names, were accepted at 2.96-3.28 CPU-s an object against 0.31-0.40
   * for the same keys in one order (review 18, R18-B1; ~2.7 µs a new one). A record's own are ~40 and its ECUs' one an
   * ECU in the order the vehicle lists them: room for each of a 500-record gateway object's vehicles to list its 256
   * ECUs in an order of its own.
   */
  objectShapes: 128 * 1024,
  /** Lines no longer than this are not scanned while the object is under `unscannedLines` lines: a record is ~570. */
  scanChars: 1024,
  /**
   * Lines of an object read before every line is scanned, whatever its length: every real object is smaller (the
   * simulator's gateway objects have 500 lines, a vehicle's hourly 60), so clean traffic pays no scan; a longer object
   * pays ~3 µs a line (~30 % of a clean line's read) from here on.
   */
  unscannedLines: 1000,
} as const;

/** Why a line is refused unparsed: the rule and its message, as a rejected line's reason gives them. */
export interface TooComplex {
  rule: "max-containers" | "max-members" | "object-structure" | "object-elements" | "object-keys" | "object-shapes";
  message: string;
}

/** A line's counts outside its strings; the keys and key sequences it names are noted in `ParseBudget.keys` and `.shapes`. */
interface LineStructure {
  containers: number;
  members: number;
  /**
   * Array elements, as commas beyond members: a comma separates two members or two elements, and a member has its
   * colon, so this counts each non-empty array's elements but its first, less one a non-empty object (never more
   * than the line's containers, themselves bounded).
   */
  elements: number;
}

/**
 * Hashes an object's admitted lines named, and those the line being scanned names beside them: `size` counts both, so
 * a line can be refused before what it names is kept.
 */
class DistinctHashes {
  private readonly admitted = new Set<number>();
  private readonly line = new Set<number>();

  get size(): number {
    return this.admitted.size + this.line.size;
  }

  /** The line being scanned names `hash`. */
  note(hash: number): void {
    if (!this.admitted.has(hash)) this.line.add(hash);
  }

  /** A new line: what the last one noted is dropped, unless it was admitted. */
  startLine(): void {
    this.line.clear();
  }

  /** The line is admitted: what it noted is the object's now. */
  admitLine(): void {
    for (const hash of this.line) this.admitted.add(hash);
  }
}

/**
 * One object's parse budget: asked once a line, in line order, before the line is parsed. A line refused here is not
 * parsed and uses none of the budget; a line admitted uses its share. Clean records never come near it: they open
 * 7-8 containers, have 30-40 members (and one an ECU), no array elements, and name the schema's keys and their ECUs'.
 *
 * @example
 * const budget = new ParseBudget();
 * const refusal = budget.check(line); // undefined: parse it
 */
export class ParseBudget {
  private lines = 0;
  private extra = 0;
  private elements = 0;
  /** The keys the object's scanned lines name. */
  private readonly keys = new DistinctHashes();
  /** The key sequences (a JSON object's keys up to each of them) the object's scanned lines begin. */
  private readonly shapes = new DistinctHashes();
  /** While a line is scanned: each open container's key sequence so far (objects'), and whether it is an object. */
  private readonly openShapes = new Int32Array(PARSE_BUDGET.lineContainers + 1);
  private readonly openIsObject = new Uint8Array(PARSE_BUDGET.lineContainers + 1);

  /** Undefined when `text` may be parsed; otherwise why not. `text` is a non-blank line within the line limit. */
  check(text: string): TooComplex | undefined {
    if (++this.lines <= PARSE_BUDGET.unscannedLines && text.length <= PARSE_BUDGET.scanChars) return undefined;
    this.keys.startLine();
    this.shapes.startLine();
    const structure = this.scan(text);
    if (structure === undefined) return { rule: "max-containers", message: `more than ${PARSE_BUDGET.lineContainers} arrays and objects in one line` };
    if (structure.members > PARSE_BUDGET.lineMembers) return { rule: "max-members", message: `more than ${PARSE_BUDGET.lineMembers} members in one line` };
    const extra = Math.max(0, structure.containers - PARSE_BUDGET.freeContainers) + Math.max(0, structure.members - Math.max(PARSE_BUDGET.freeMembers, Math.floor(text.length / PARSE_BUDGET.charsPerFreeMember)));
    if (this.extra + extra > PARSE_BUDGET.objectExtra) {
      return { rule: "object-structure", message: `the object's lines pass ${PARSE_BUDGET.objectExtra} arrays, objects and members beyond a record's` };
    }
    const elements = Math.max(0, structure.elements - PARSE_BUDGET.freeElements);
    if (this.elements + elements > PARSE_BUDGET.objectElements) {
      return { rule: "object-elements", message: `the object's lines pass ${PARSE_BUDGET.objectElements} array elements beyond ${PARSE_BUDGET.freeElements} a line` };
    }
    if (this.keys.size > PARSE_BUDGET.objectKeys) return { rule: "object-keys", message: `the object's lines name more than ${PARSE_BUDGET.objectKeys} distinct keys` };
    if (this.shapes.size > PARSE_BUDGET.objectShapes) {
      return { rule: "object-shapes", message: `the object's lines order their keys in more than ${PARSE_BUDGET.objectShapes} distinct ways` };
    }
    this.extra += extra;
    this.elements += elements;
    this.keys.admitLine();
    this.shapes.admitLine();
    return undefined;
  }

  /**
   * Counts outside strings (found natively: the next `"` not escaped by an odd run of `\`); a string followed by a `:`
   * is a key, whose hash is noted in `keys`, and the key sequence it ends in its object (a hash of the sequence before
   * it and its own) in `shapes`. Undefined past the line's container bound;
   * past its member bound the scan stops too. An unterminated string ends the scan: JSON.parse refuses such a line at
   * once. Linear in the line: each character is looked at a bounded number of times, each key hashed once.
   */
  private scan(text: string): LineStructure | undefined {
    const { lineContainers, lineMembers } = PARSE_BUDGET;
    let containers = 0;
    let members = 0;
    let commas = 0;
    let keyStart = 0;
    /** End of the string before a `:`, -1 once hashed: a key is hashed once, whatever follows it (review 17). */
    let keyEnd = -1;
    const { openShapes, openIsObject } = this;
    let open = 0;
    for (let index = 0; index < text.length; index++) {
      const code = text.charCodeAt(index);
      if (code === 34 /* " */) {
        let end = text.indexOf('"', index + 1);
        while (end > 0 && escaped(text, end)) end = text.indexOf('"', end + 1);
        if (end < 0) break;
        keyStart = index + 1;
        keyEnd = end;
        index = end;
      } else if (code === 58 /* : */) {
        if (++members > lineMembers) break;
        if (keyEnd >= 0) {
          const key = hashOf(text, keyStart, keyEnd);
          this.keys.note(key);
          if (open > 0 && openIsObject[open - 1] === 1) this.shapes.note((openShapes[open - 1] = Math.imul(openShapes[open - 1]! ^ key, FNV_PRIME)));
          keyEnd = -1;
        }
      } else if (code === 44 /* , */) {
        commas++;
      } else if (code === 91 /* [ */ || code === 123 /* { */) {
        if (++containers > lineContainers) return undefined;
        openShapes[open] = KEY_SEED;
        openIsObject[open++] = code === 123 ? 1 : 0;
      } else if ((code === 93 /* ] */ || code === 125) /* } */ && open > 0) {
        open--;
      }
    }
    return { containers, members, elements: Math.max(0, commas - members) };
  }
}

/** Whether the `"` at `quote` is escaped: an odd run of `\` before it. */
function escaped(text: string, quote: number): boolean {
  let before = quote - 1;
  while (text.charCodeAt(before) === 92 /* \ */) before--;
  return (quote - 1 - before) % 2 === 1;
}

/** FNV-1a over UTF-16 units from a seed of this process: which keys share a hash cannot be known outside it. */
function hashOf(text: string, start: number, end: number): number {
  let hash = KEY_SEED;
  for (let index = start; index < end; index++) hash = Math.imul(hash ^ text.charCodeAt(index), FNV_PRIME);
  return hash;
}

const FNV_PRIME = 16777619;
const KEY_SEED = randomInt(2 ** 32 - 1) | 0;
