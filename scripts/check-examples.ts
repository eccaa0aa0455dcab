/**
 * Type-checks every `@example` in the project's doc comments, so they cannot drift from the code they
 * show (part of `npm run typecheck`). Each example is compiled inside a copy of its own module (same
 * folder, in memory), so it sees what the module sees. Names an example only uses as values (`doc`,
 * `table`, `campaignId`, …) stand for whatever the reader has and are typed `any`; a name it calls or
 * constructs, or one written like a type or constant (`CampaignSnapshot`, `ENV`), must exist. Object
 * literals are still checked against the real parameter types, so a wrong or missing option fails.
 * `this` is the reader's scope too (a construct's example runs in a constructor). An example's `import`
 * lines (paths relative to its module) are hoisted, for names the module itself does not import.
 * An example must sit on a public entry point: an exported declaration or a public member of one.
 *
 * `npm run typecheck` (scripts/typecheck.ts) compiles the copies in the project's own program, with its own
 * options; an example's unused locals and implicitly-`any` parameters are not reported (RELAXED_IN_EXAMPLES).
 * Any problem fails it. Alone:
 *
 *   tsx scripts/check-examples.ts     check the examples only, print each problem as file:line, exit 1 on any
 */
import { readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";

const root = resolve(import.meta.dirname, "..");
const SOURCE_DIRS = ["main.ts", "modules", "functions", "campaigns", "telemetry", "contracts", "lib", "cost", "identity", "uptane", "simulator", "web", "local", "cli", "scripts", "test", "bench"];
/** "Cannot find name" (also "…Did you mean", "…Do you need to install type definitions"), "No value exists in scope for the shorthand property". */
const CANNOT_FIND_NAME = new Set([2304, 2552, 2580, 2581, 2582, 2591, 2592, 2593, 18004]);

export interface Example {
  file: string;
  /** 1-based line of the `@example` tag. */
  line: number;
  code: string;
  exported: boolean;
}

/** Exported, or a public member of an exported class or interface. */
function isPublicEntryPoint(node: ts.Node): boolean {
  if (ts.isExportAssignment(node)) return true;
  const flags = ts.getCombinedModifierFlags(node as ts.Declaration);
  if ((ts.isClassElement(node) || ts.isTypeElement(node)) && (ts.isClassDeclaration(node.parent) || ts.isInterfaceDeclaration(node.parent))) {
    return (flags & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) === 0 && !(ts.isClassElement(node) && node.name && ts.isPrivateIdentifier(node.name)) && isPublicEntryPoint(node.parent);
  }
  return (flags & ts.ModifierFlags.Export) !== 0;
}

/** The examples of one file: the code after each `@example` up to the next tag or the comment's end. */
export function examplesOf(file: string, text: string): Example[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const found: Example[] = [];
  const visit = (node: ts.Node): void => {
    // A comment before the first statement belongs to that statement, not to the file.
    for (const range of ts.isSourceFile(node) ? [] : (ts.getLeadingCommentRanges(text, node.getFullStart()) ?? [])) {
      const comment = text.slice(range.pos, range.end);
      if (!comment.startsWith("/**") || !comment.includes("@example")) continue;
      const lines = comment.split("\n").map((line) => line.replace(/^\s*\/?\*+\/?\s?/, "").replace(/\s*\*\/\s*$/, ""));
      const startLine = source.getLineAndCharacterOfPosition(range.pos).line + 1;
      for (let index = 0; index < lines.length; index++) {
        if (!lines[index]!.trimStart().startsWith("@example")) continue;
        const code: string[] = [lines[index]!.replace(/^\s*@example\s?/, "")];
        for (let next = index + 1; next < lines.length && !lines[next]!.trimStart().startsWith("@"); next++) code.push(lines[next]!);
        const exported = isPublicEntryPoint(node);
        found.push({ file, line: startLine + index, code: code.join("\n").trim(), exported });
      }
    }
    if (ts.isSourceFile(node) || ts.isModuleBlock(node) || ts.isClassDeclaration(node) || ts.isInterfaceDeclaration(node)) {
      ts.forEachChild(node, visit);
    }
  };
  visit(source);
  // A declaration's comment is also the leading comment of its first token (`export`): keep the declaration's.
  const seen = new Set<number>();
  return found.filter((example) => !seen.has(example.line) && seen.add(example.line));
}

/** The project's files an example may sit in. */
export function projectFiles(config: ts.ParsedCommandLine): string[] {
  return config.fileNames.filter((file) => SOURCE_DIRS.some((dir) => relative(root, file).startsWith(dir)));
}

const virtualName = (file: string) => join(dirname(file), `__examples__.${file.split("/").pop()!.replace(/\.ts$/, "")}.ts`);

/** The module's own text, then each example in its own async function. */
function virtualText(original: string, examples: readonly Example[]): { text: string; offsets: number[] } {
  // An example's own `import` lines (paths relative to its module) go to the top level, as written.
  const isImport = (line: string) => /^import\s/.test(line);
  const imports = examples.flatMap((example) => example.code.split("\n").filter(isImport));
  let text = `${original}\n// ── examples ──\n${imports.join("\n")}\n`;
  const offsets: number[] = [];
  examples.forEach((example, index) => {
    // `this` is the reader's scope too (a construct's examples run inside a constructor: `new X(this, …)`).
    text += `async function __example_${index}(this: any): Promise<void> {\n`;
    offsets.push(text.length);
    text += `${example.code.split("\n").map((line) => (isImport(line) ? "" : line)).join("\n")}\n}\n`;
  });
  return { text, offsets };
}

/** The index of the example a position falls in. */
function exampleAt(offsets: readonly number[], position: number): number {
  let index = -1;
  offsets.forEach((offset, at) => {
    if (offset <= position) index = at;
  });
  return index;
}

function isCalledOrTypeLike(node: ts.Node): boolean {
  const name = (node as ts.Identifier).text ?? "";
  const parent = node.parent;
  if (parent && (ts.isCallExpression(parent) || ts.isNewExpression(parent)) && parent.expression === node) return true;
  if (parent && ts.isTypeReferenceNode(parent)) return true;
  return /^[A-Z]/.test(name);
}

function findIdentifier(source: ts.SourceFile, position: number): ts.Node | undefined {
  const visit = (node: ts.Node): ts.Node | undefined =>
    node.getStart(source) <= position && position < node.getEnd() ? (ts.forEachChild(node, visit) ?? node) : undefined;
  return visit(source);
}

/** A module's in-memory copy with its examples appended, keyed by the copy's file name. */
export interface ExampleModule {
  text: string;
  offsets: number[];
  file: string;
  examples: Example[];
}

/**
 * The copies to add to the program, and the problems found before compiling (an example on a declaration
 * that is not exported).
 */
export function exampleModules(files: readonly string[]): { virtual: Map<string, ExampleModule>; problems: string[] } {
  const problems: string[] = [];
  const virtual = new Map<string, ExampleModule>();
  for (const file of files) {
    const original = readFileSync(file, "utf8");
    if (!original.includes("@example")) continue;
    const examples = examplesOf(file, original);
    for (const example of examples) {
      if (!example.exported) problems.push(`${relative(root, file)}:${example.line}: @example on a declaration that is not exported (keep examples on public entry points)`);
    }
    if (examples.length) virtual.set(virtualName(file), { ...virtualText(original, examples), file, examples });
  }
  return { virtual, problems };
}

/** The host serves the copies from memory. */
export function serveExamples(host: ts.CompilerHost, virtual: ReadonlyMap<string, ExampleModule>): ts.CompilerHost {
  const readFile = host.readFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  host.readFile = (name) => virtual.get(name)?.text ?? readFile(name);
  host.fileExists = (name) => virtual.has(name) || fileExists(name);
  return host;
}

/**
 * Reported for examples only when the project's options ask for them; examples were compiled without
 * `noUnusedLocals` and `noImplicitAny` (an example may leave a result unused or a parameter untyped).
 * Unused: declared but never read/used, all imports/destructured/variables/type parameters unused,
 * private property never used. Implicit any: every "implicitly has an 'any' type" error that `noImplicitAny` gates.
 */
export const RELAXED_IN_EXAMPLES: ReadonlySet<number> = new Set([
  6133, 6138, 6192, 6196, 6198, 6199, 6205,
  7005, 7006, 7008, 7009, 7010, 7011, 7012, 7013, 7014, 7015, 7016, 7017, 7018, 7019, 7020, 7022, 7023, 7024, 7025, 7031, 7032, 7033, 7034, 7039, 7051, 7052, 7053, 7055, 7057,
]);

/** The examples' problems in a program that holds the copies (compiled with the project's own options). */
export function exampleProblems(program: ts.Program, virtual: ReadonlyMap<string, ExampleModule>): string[] {
  const problems: string[] = [];
  for (const [name, { text, offsets, file, examples }] of virtual) {
    const compiled = program.getSourceFile(name)!;
    const exampleStart = offsets[0] ?? Number.POSITIVE_INFINITY;
    const diagnostics = [...program.getSyntacticDiagnostics(compiled), ...program.getSemanticDiagnostics(compiled)].filter((d) => (d.start ?? 0) >= exampleStart && !RELAXED_IN_EXAMPLES.has(d.code));
    const source = ts.createSourceFile(name, text, ts.ScriptTarget.ES2022, true);
    for (const diagnostic of diagnostics) {
      // A name nobody declares, used only as a value (`doc`, `campaignId`), is the reader's own: TypeScript
      // already types it as `any` and checks the rest. One called, constructed or written like a type must exist.
      if (CANNOT_FIND_NAME.has(diagnostic.code) && diagnostic.start !== undefined) {
        const node = findIdentifier(source, diagnostic.start);
        if (node && ts.isIdentifier(node) && !isCalledOrTypeLike(node)) continue;
      }
      const index = exampleAt(offsets, diagnostic.start ?? 0);
      const example = examples[index]!;
      const lineInExample = source.getLineAndCharacterOfPosition(diagnostic.start ?? 0).line - source.getLineAndCharacterOfPosition(offsets[index]!).line;
      problems.push(`${relative(root, file)}:${example.line + lineInExample}: @example: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n")}`);
    }
  }
  return problems;
}

/** tsconfig.json, parsed. */
export function projectConfig(): ts.ParsedCommandLine {
  const config = ts.getParsedCommandLineOfConfigFile(join(root, "tsconfig.json"), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
  if (!config) throw new Error("tsconfig.json could not be read");
  return config;
}

/** The examples alone (`npm run typecheck` checks them in the project's own program: scripts/typecheck.ts). */
function check(): string[] {
  const config = projectConfig();
  const { virtual, problems } = exampleModules(projectFiles(config));
  const program = ts.createProgram([...config.fileNames, ...virtual.keys()], config.options, serveExamples(ts.createCompilerHost(config.options), virtual));
  return [...problems, ...exampleProblems(program, virtual)];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const started = performance.now();
  const problems = check();
  for (const problem of problems) console.error(problem);
  console.log(`@example check: ${problems.length} problem(s) (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  if (problems.length > 0) process.exitCode = 1;
}
