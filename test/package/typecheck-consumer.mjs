// Type-checks the TypeScript consumer `typed.ts` in the current directory (the app that installed the
// packed tarball) as `tsc --noEmit --strict --module nodenext --target es2022 --types node` would, with
// the same program, but asks for the semantic diagnostics of the consumer and of the package's own
// declaration files only, not of aws-cdk-lib's, constructs' and @types/node's thousands of them: those
// took most of tsc's half a minute, and this project's own tsconfig skips them too (skipLibCheck).
// Usage: node typecheck-consumer.mjs <path of the typescript module> <typeRoots directory> <package name>
// Prints JSON: { checked: the package's declaration files checked (relative), diagnostics: tsc's text }.
import { createRequire } from 'node:module';
import { relative, resolve, sep } from 'node:path';

const [typescriptPath, typeRoot, packageName] = process.argv.slice(2);
const ts = createRequire(import.meta.url)(typescriptPath);

const program = ts.createProgram(['typed.ts'], {
  noEmit: true,
  strict: true,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  target: ts.ScriptTarget.ES2022,
  types: ['node'],
  typeRoots: [typeRoot],
});
const packageDir = resolve('node_modules', packageName) + sep;
const ours = program
  .getSourceFiles()
  .filter((file) => !file.isDeclarationFile || resolve(file.fileName).startsWith(packageDir));
const diagnostics = [
  ...program.getOptionsDiagnostics(),
  ...program.getGlobalDiagnostics(),
  ...program.getSyntacticDiagnostics(),
  ...ours.flatMap((file) => program.getSemanticDiagnostics(file)),
];
const host = {
  getCanonicalFileName: (name) => name,
  getCurrentDirectory: () => process.cwd(),
  getNewLine: () => '\n',
};
console.log(
  JSON.stringify({
    checked: ours.filter((file) => file.isDeclarationFile).map((file) => relative(packageDir, file.fileName)),
    diagnostics: ts.formatDiagnostics(diagnostics, host),
  }),
);
