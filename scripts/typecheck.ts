/**
 * `npm run typecheck`: one TypeScript program, with tsconfig.json's own options, over the project's files
 * and the in-memory copies of every module that has `@example` blocks (scripts/check-examples.ts). The
 * project's files are reported exactly as `tsc --noEmit -p tsconfig.json` reports them (same diagnostics,
 * same format); the examples as check-examples reports them (`file:line: @example: …`). One program
 * instead of two: the project is parsed, bound and checked once (the examples' copies reuse its types).
 *
 *   tsx scripts/typecheck.ts     print every problem, exit 1 on any
 */
import ts from "typescript";
import { exampleModules, exampleProblems, projectConfig, projectFiles, serveExamples } from "./check-examples.js";

/** The project's diagnostics as `tsc --noEmit` gathers them (semantic ones only when the syntax is clean). */
export function projectDiagnostics(program: ts.Program, files: readonly ts.SourceFile[]): ts.Diagnostic[] {
  const found: ts.Diagnostic[] = [...program.getConfigFileParsingDiagnostics(), ...program.getOptionsDiagnostics()];
  const before = found.length;
  for (const file of files) found.push(...program.getSyntacticDiagnostics(file));
  if (found.length === before) {
    found.push(...program.getGlobalDiagnostics());
    if (found.length === before) for (const file of files) found.push(...program.getSemanticDiagnostics(file));
  }
  return [...ts.sortAndDeduplicateDiagnostics(found)];
}

function main(): number {
  const started = performance.now();
  const config = projectConfig();
  const { virtual, problems } = exampleModules(projectFiles(config));
  const host = serveExamples(ts.createCompilerHost(config.options), virtual);
  const program = ts.createProgram({
    rootNames: [...config.fileNames, ...virtual.keys()],
    options: config.options,
    host,
    configFileParsingDiagnostics: config.errors,
    projectReferences: config.projectReferences,
  });
  const files = program.getSourceFiles().filter((file) => !virtual.has(file.fileName));
  const diagnostics = projectDiagnostics(program, files);
  const formatHost: ts.FormatDiagnosticsHost = { getCanonicalFileName: (name) => name, getCurrentDirectory: () => process.cwd(), getNewLine: () => "\n" };
  if (diagnostics.length > 0) {
    const pretty = process.stdout.isTTY;
    process.stdout.write(pretty ? ts.formatDiagnosticsWithColorAndContext(diagnostics, formatHost) + "\n" : ts.formatDiagnostics(diagnostics, formatHost));
    const errors = diagnostics.filter((d) => d.category === ts.DiagnosticCategory.Error).length;
    console.log(`tsc: found ${errors} error(s) in ${new Set(diagnostics.map((d) => d.file?.fileName)).size} file(s)`);
  }
  problems.push(...exampleProblems(program, virtual));
  for (const problem of problems) console.error(problem);
  const examples = [...virtual.values()].reduce((sum, module) => sum + module.examples.length, 0);
  console.log(`typecheck: ${diagnostics.length} tsc problem(s), ${problems.length} @example problem(s) (${examples} examples in ${virtual.size} files; ${((performance.now() - started) / 1000).toFixed(1)} s)`);
  return diagnostics.length + problems.length > 0 ? 1 : 0;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = main();
