/**
 * Type-checks every `@example` in the project's doc comments, so they cannot drift from the code they
 * show (part of `npm run typecheck`). Each example is compiled inside a copy of its own module (same
 * folder, in memory), so it sees what the module sees. Names an example only uses as values (`doc`,
 * `table`, `campaignId`, …) stand for whatever the reader has and are typed `any`; a name it calls or
 * constructs, or one written like a type or constant (`CampaignSnapshot`, `ENV`), must exist. Object
 * literals are still checked against the real parameter types, so a wrong or missing option fails.
 * An example must sit on an exported declaration (a public entry point).
 *
 * Problems listed in scripts/examples-baseline.txt (file and message, line numbers ignored) are known and
 * still to fix; any other fails the check.
 *
 *   tsx scripts/check-examples.ts                    check, print new problems as file:line, exit 1 on any
 *   tsx scripts/check-examples.ts --write-baseline   record today's problems as known
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";

const root = resolve(import.meta.dirname, "..");
const SOURCE_DIRS = ["main.ts", "modules", "functions", "campaigns", "telemetry", "contracts", "lib", "simulator", "web", "local", "cli", "scripts", "test", "bench"];
/** "Cannot find name", "…Did you mean", "No value exists in scope for the shorthand property". */
const CANNOT_FIND_NAME = new Set([2304, 2552, 18004]);
const BASELINE_FILE = join(root, "scripts", "examples-baseline.txt");

interface Example {
  file: string;
  /** 1-based line of the `@example` tag. */
  line: number;
  code: string;
  exported: boolean;
}

/** The examples of one file: the code after each `@example` up to the next tag or the comment's end. */
export function examplesOf(file: string, text: string): Example[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const found: Example[] = [];
  const visit = (node: ts.Node): void => {
    for (const range of ts.getLeadingCommentRanges(text, node.getFullStart()) ?? []) {
      const comment = text.slice(range.pos, range.end);
      if (!comment.startsWith("/**") || !comment.includes("@example")) continue;
      const lines = comment.split("\n").map((line) => line.replace(/^\s*\/?\*+\/?\s?/, "").replace(/\s*\*\/\s*$/, ""));
      const startLine = source.getLineAndCharacterOfPosition(range.pos).line + 1;
      for (let index = 0; index < lines.length; index++) {
        if (!lines[index]!.trimStart().startsWith("@example")) continue;
        const code: string[] = [lines[index]!.replace(/^\s*@example\s?/, "")];
        for (let next = index + 1; next < lines.length && !lines[next]!.trimStart().startsWith("@"); next++) code.push(lines[next]!);
        const exported = (ts.getCombinedModifierFlags(node as ts.Declaration) & ts.ModifierFlags.Export) !== 0 || ts.isExportAssignment(node);
        found.push({ file, line: startLine + index, code: code.join("\n").trim(), exported });
      }
    }
    if (ts.isSourceFile(node) || ts.isModuleBlock(node) || ts.isClassDeclaration(node) || ts.isInterfaceDeclaration(node)) {
      ts.forEachChild(node, visit);
    }
  };
  visit(source);
  // A comment before the first statement is also seen on the source file itself: keep each example once.
  const seen = new Set<number>();
  return found.filter((example) => !seen.has(example.line) && seen.add(example.line));
}

const BASELINE_HEADER = "# @example problems known when the check arrived, to fix (file: message; lines are ignored). Fixed ones may be deleted.\n";
/** `file:12: message` → `file: message`, so a known problem stays known when lines move. */
const withoutLine = (problem: string): string => problem.replace(/^([^:]+):\d+:/, "$1:");

function projectFiles(): string[] {
  const config = ts.getParsedCommandLineOfConfigFile(join(root, "tsconfig.json"), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
  if (!config) throw new Error("tsconfig.json could not be read");
  return config.fileNames.filter((file) => SOURCE_DIRS.some((dir) => relative(root, file).startsWith(dir)));
}

const virtualName = (file: string) => join(dirname(file), `__examples__.${file.split("/").pop()!.replace(/\.ts$/, "")}.ts`);

/** The module's own text, then each example in its own async function, with `any` stand-ins for `given`. */
function virtualText(original: string, examples: readonly Example[], given: ReadonlyMap<number, ReadonlySet<string>>): { text: string; offsets: number[] } {
  // An example's own `import` lines (paths relative to its module) go to the top level, as written.
  const isImport = (line: string) => /^import\s/.test(line);
  const imports = examples.flatMap((example) => example.code.split("\n").filter(isImport));
  let text = `${original}\n// ── examples ──\n${imports.join("\n")}\n`;
  const offsets: number[] = [];
  examples.forEach((example, index) => {
    const standIns = [...(given.get(index) ?? [])].map((name) => `const ${name}: any = undefined;`).join(" ");
    text += `async function __example_${index}(): Promise<void> { ${standIns}\n`;
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

function check(): string[] {
  const files = projectFiles();
  const options = ts.getParsedCommandLineOfConfigFile(join(root, "tsconfig.json"), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} })!.options;
  const problems: string[] = [];
  const perFile = new Map<string, { original: string; examples: Example[] }>();
  for (const file of files) {
    const original = readFileSync(file, "utf8");
    if (!original.includes("@example")) continue;
    const examples = examplesOf(file, original);
    for (const example of examples) {
      if (!example.exported) problems.push(`${relative(root, file)}:${example.line}: @example on a declaration that is not exported (keep examples on public entry points)`);
    }
    if (examples.length) perFile.set(file, { original, examples });
  }
  const given = new Map<string, Map<number, Set<string>>>([...perFile.keys()].map((file) => [file, new Map()]));

  let lastProgram: ts.Program | undefined;
  const run = (): Map<string, ts.Diagnostic[]> => {
    const virtual = new Map<string, { text: string; offsets: number[]; file: string }>();
    for (const [file, { original, examples }] of perFile) virtual.set(virtualName(file), { ...virtualText(original, examples, given.get(file)!), file });
    const host = ts.createCompilerHost(options);
    const readFile = host.readFile.bind(host);
    const fileExists = host.fileExists.bind(host);
    host.readFile = (name) => virtual.get(name)?.text ?? readFile(name);
    host.fileExists = (name) => virtual.has(name) || fileExists(name);
    const program = ts.createProgram([...virtual.keys()], { ...options, noEmit: true, noUnusedLocals: false, noImplicitAny: false }, host);
    lastProgram = program;
    const result = new Map<string, ts.Diagnostic[]>();
    for (const [name, entry] of virtual) {
      const source = program.getSourceFile(name)!;
      const exampleStart = entry.offsets[0] ?? Number.POSITIVE_INFINITY;
      result.set(
        name,
        [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)].filter((d) => (d.start ?? 0) >= exampleStart),
      );
    }
    return result;
  };

  // First pass: names the examples use but nobody declares; those used only as values become stand-ins.
  for (const [name, diagnostics] of run()) {
    const file = [...perFile.keys()].find((candidate) => virtualName(candidate) === name)!;
    const { original, examples } = perFile.get(file)!;
    const { text, offsets } = virtualText(original, examples, new Map());
    const source = ts.createSourceFile(name, text, ts.ScriptTarget.ES2022, true);
    const add = (index: number, name: string) => {
      const names = given.get(file)!.get(index) ?? new Set<string>();
      names.add(name);
      given.get(file)!.set(index, names);
    };
    for (const diagnostic of diagnostics) {
      if (!CANNOT_FIND_NAME.has(diagnostic.code) || diagnostic.start === undefined) continue;
      const node = findIdentifier(source, diagnostic.start);
      if (!node || !ts.isIdentifier(node) || isCalledOrTypeLike(node)) continue;
      add(exampleAt(offsets, diagnostic.start!), node.text);
    }
    // A value name that only resolves to a browser global (`document`, `name`, `event`) is the reader's too.
    const checker = lastProgram!.getTypeChecker();
    const compiled = lastProgram!.getSourceFile(name)!;
    const visit = (node: ts.Node): void => {
      if (ts.isIdentifier(node) && node.getStart(compiled) >= offsets[0]! && !isCalledOrTypeLike(node) && !ts.isPropertyAccessExpression(node.parent) ) {
        const declarations = checker.getSymbolAtLocation(node)?.declarations ?? [];
        if (declarations.length > 0 && declarations.every((declaration) => /lib\.dom/.test(declaration.getSourceFile().fileName))) {
          add(exampleAt(offsets, node.getStart(compiled)), node.text);
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(compiled);
  }
  // Second pass: what is left is a real problem, reported at the example's line in the original file.
  for (const [name, diagnostics] of run()) {
    const file = [...perFile.keys()].find((candidate) => virtualName(candidate) === name)!;
    const { original, examples } = perFile.get(file)!;
    const { text, offsets } = virtualText(original, examples, given.get(file)!);
    const source = ts.createSourceFile(name, text, ts.ScriptTarget.ES2022, true);
    for (const diagnostic of diagnostics) {
      const index = exampleAt(offsets, (diagnostic.start ?? 0));
      const example = examples[index]!;
      const lineInExample = source.getLineAndCharacterOfPosition(diagnostic.start ?? 0).line - source.getLineAndCharacterOfPosition(offsets[index]!).line;
      problems.push(`${relative(root, file)}:${example.line + lineInExample}: @example: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n")}`);
    }
  }
  return problems;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const started = performance.now();
  const problems = check();
  if (process.argv.includes("--write-baseline")) {
    writeFileSync(BASELINE_FILE, `${BASELINE_HEADER}${problems.map((problem) => problem.split("\n")[0]!).join("\n")}\n`);
  }
  const known = new Set(existsSync(BASELINE_FILE) ? readFileSync(BASELINE_FILE, "utf8").split("\n").filter((line) => line && !line.startsWith("#")).map(withoutLine) : []);
  const fresh = problems.filter((problem) => !known.has(withoutLine(problem.split("\n")[0]!)));
  for (const problem of fresh) console.error(problem);
  console.log(
    `@example check: ${fresh.length} new problem(s), ${problems.length - fresh.length} known (scripts/examples-baseline.txt) (${((performance.now() - started) / 1000).toFixed(1)} s)`,
  );
  if (fresh.length > 0) process.exitCode = 1;
}
