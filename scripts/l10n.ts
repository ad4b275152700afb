// Localization check and English bundle generator (`npm run l10n -- FLAGS`, or
// `node --import tsx scripts/l10n.ts FLAGS`):
//   (no flag)     extract, write l10n/bundle.l10n.json, report problems (exit 1 if any)
//   --check       the same without writing; a stale l10n/bundle.l10n.json is a problem
//   --json        the report as JSON on stdout (tests read it)
//   --root DIR    another project root (default: this checkout)
//
// It reads every `vscode.l10n.t(…)` / `l10n.t(…)` call in src/**/*.ts with the TypeScript parser,
// including calls through a translator bound to a name — `const t = vscode.l10n.t`, a variable or
// parameter typed `Translate`, `const { t } = vscode.l10n` — resolved by lexical scope, string and
// template literals without substitutions, and the `{ message, args, comment }` form (key
// `message/comment`, as VS Code looks it up). A message that is not a literal cannot be translated
// and is reported, except inside a translator wrapper that forwards its own parameter.
// Then it compares every l10n/bundle.l10n.<lang>.json and package.nls.<lang>.json with the sources
// and package.nls.json: missing, orphaned and empty entries, placeholders ({0}, {name}), command
// links, code spans and `atl.*` setting names that a translation dropped or invented, and the
// %key% references of package.json.
import { existsSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import ts from "typescript";

const SCRIPT_ROOT = resolve(import.meta.dirname, "..");

/** A message as one call site has it. */
interface CallMessage {
  key: string;
  message: string;
  comment: string;
  line: number;
}

interface FileProblem {
  line: number;
  kind: "dynamic" | "unresolved" | "arguments";
  text: string;
}

/** A message of the sources with every place it is used. */
export interface SourceMessage {
  key: string;
  message: string;
  comment: string;
  locations: string[];
}

export interface SourceProblem {
  location: string;
  kind: FileProblem["kind"];
  text: string;
}

/** A translation table against its source. */
export interface Comparison {
  missing: string[];
  extra: string[];
  empty: string[];
  notText: string[];
  changed: { key: string; lost: string[]; added: string[] }[];
}

export interface CommandReference {
  key: string;
  want: string;
}

export interface TableReport extends Comparison {
  file: string;
  commandReferences?: CommandReference[];
}

export interface L10nReport {
  root: string;
  messages: SourceMessage[];
  problems: SourceProblem[];
  bundles: Record<string, TableReport>;
  englishBundle: { file: string; upToDate: boolean; contents: string };
  nls: Record<string, TableReport>;
  manifest: { l10nField: unknown; missing: string[]; unused: string[] };
}

/** What is read of package.json. */
interface Manifest {
  displayName?: string;
  description?: string;
  l10n?: string;
  contributes?: { commands?: { command: string; title?: string }[] } & Record<string, unknown>;
}

type Table = Record<string, unknown>;

/** A node that binds a name: a parameter, variable, binding element, import or declaration. */
type Binding = ts.Node;

// ── extraction ──────────────────────────────────────────────────────────────────────────────────

/** Every `.ts` file under `dir` (no declaration files), sorted for a stable bundle order. */
function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) {
    return [];
  }
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith(".ts") && !e.name.endsWith(".d.ts"))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/** `vscode.l10n.t` or `l10n.t` (as a callee or a value). */
function isL10nT(node: ts.Node): node is ts.PropertyAccessExpression {
  if (!ts.isPropertyAccessExpression(node) || node.name.text !== "t") {
    return false;
  }
  return isL10nNamespace(node.expression);
}

/** `vscode.l10n` or `l10n`. */
function isL10nNamespace(node: ts.Node): boolean {
  return (ts.isIdentifier(node) && node.text === "l10n") || (ts.isPropertyAccessExpression(node) && node.name.text === "l10n");
}

function isTranslateType(typeNode: ts.TypeNode | undefined): boolean {
  return !!typeNode && ts.isTypeReferenceNode(typeNode) && ts.isIdentifier(typeNode.typeName) && typeNode.typeName.text === "Translate";
}

/** Does this declaration bind a translator (a function that is, or calls, l10n.t with its message)? */
function isTranslatorDeclaration(decl: Binding): boolean {
  if (ts.isParameter(decl)) {
    return isTranslateType(decl.type);
  }
  if (ts.isVariableDeclaration(decl)) {
    return isTranslateType(decl.type) || (!!decl.initializer && isL10nT(decl.initializer));
  }
  if (ts.isBindingElement(decl)) {
    // const { t } = vscode.l10n  /  const { t: tr } = l10n
    const pattern = decl.parent;
    const holder = pattern.parent;
    const property = decl.propertyName ?? decl.name;
    return (
      ts.isObjectBindingPattern(pattern) &&
      ts.isVariableDeclaration(holder) &&
      !!holder.initializer &&
      isL10nNamespace(holder.initializer) &&
      ts.isIdentifier(property) &&
      property.text === "t"
    );
  }
  return false;
}

function isFunctionLike(node: ts.Node): node is ts.SignatureDeclarationBase & ts.FunctionLikeDeclaration {
  return ts.isFunctionDeclaration(node) || ts.isFunctionExpression(node) || ts.isArrowFunction(node) || ts.isMethodDeclaration(node) || ts.isConstructorDeclaration(node) || ts.isGetAccessor(node) || ts.isSetAccessor(node);
}

/** Declarations of `name` introduced directly by `scope` (parameters, block-level variables, functions). */
function declarationIn(scope: ts.Node, name: string): Binding | null {
  if (isFunctionLike(scope)) {
    for (const parameter of scope.parameters) {
      const found = bindingNamed(parameter, parameter.name, name);
      if (found) {
        return found;
      }
    }
    return null;
  }
  const statements = ts.isSourceFile(scope) || ts.isBlock(scope) || ts.isModuleBlock(scope) || ts.isCaseClause(scope) || ts.isDefaultClause(scope) ? scope.statements : null;
  if (!statements) {
    if ((ts.isForStatement(scope) || ts.isForOfStatement(scope) || ts.isForInStatement(scope)) && scope.initializer && ts.isVariableDeclarationList(scope.initializer)) {
      for (const decl of scope.initializer.declarations) {
        const found = bindingNamed(decl, decl.name, name);
        if (found) {
          return found;
        }
      }
    }
    if (ts.isCatchClause(scope) && scope.variableDeclaration) {
      return bindingNamed(scope.variableDeclaration, scope.variableDeclaration.name, name);
    }
    return null;
  }
  for (const statement of statements) {
    if (ts.isVariableStatement(statement)) {
      for (const decl of statement.declarationList.declarations) {
        const found = bindingNamed(decl, decl.name, name);
        if (found) {
          return found;
        }
      }
    } else if ((ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement)) && statement.name?.text === name) {
      return statement;
    } else if (ts.isImportDeclaration(statement) && statement.importClause) {
      const clause = statement.importClause;
      if (clause.name?.text === name) {
        return clause;
      }
      const bindings = clause.namedBindings;
      if (bindings && ts.isNamespaceImport(bindings) && bindings.name.text === name) {
        return bindings;
      }
      if (bindings && ts.isNamedImports(bindings)) {
        const element = bindings.elements.find((e) => e.name.text === name);
        if (element) {
          return element;
        }
      }
    }
  }
  return null;
}

/** The declaration node (VariableDeclaration, Parameter or BindingElement) that binds `name` in `pattern`. */
function bindingNamed(owner: Binding, pattern: ts.BindingName, name: string): Binding | null {
  if (ts.isIdentifier(pattern)) {
    return pattern.text === name ? owner : null;
  }
  if (ts.isObjectBindingPattern(pattern) || ts.isArrayBindingPattern(pattern)) {
    for (const element of pattern.elements) {
      if (ts.isBindingElement(element)) {
        const found = bindingNamed(element, element.name, name);
        if (found) {
          return found;
        }
      }
    }
  }
  return null;
}

/** The innermost declaration of an identifier, walking out through the enclosing scopes. */
function resolveIdentifier(identifier: ts.Identifier): Binding | null {
  for (let scope: ts.Node | undefined = identifier.parent; scope; scope = scope.parent) {
    const found = declarationIn(scope, identifier.text);
    if (found) {
      return found;
    }
  }
  return null;
}

/** The translator declaration whose initializer is the function `fn` (a wrapper such as `const t: Translate = (m, ...a) => l10n.t(m, ...a)`). */
function wrapperDeclaration(fn: ts.Node): ts.VariableDeclaration | null {
  let node: ts.Node | undefined = fn.parent;
  while (node && (ts.isParenthesizedExpression(node) || ts.isAsExpression(node) || ts.isSatisfiesExpression(node))) {
    node = node.parent;
  }
  return node && ts.isVariableDeclaration(node) && node.initializer && isTranslatorDeclaration(node) ? node : null;
}

function enclosingFunction(node: ts.Node): ts.FunctionLikeDeclaration | null {
  for (let n: ts.Node | undefined = node.parent; n; n = n.parent) {
    if (isFunctionLike(n)) {
      return n;
    }
  }
  return null;
}

function literalText(node: ts.Node): string | null {
  return ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) ? node.text : null;
}

/** `{0}`, `{1}`, `{name}` — what VS Code substitutes (other braces, such as JSON in a message, stay). */
export function placeholders(text: string): string[] {
  return [...text.matchAll(/\{(\d+|[A-Za-z_$][\w$]*)\}/g)].map((m) => m[0]).sort();
}

/**
 * Every message of one file: `{ key, message, comment, line, argCount }` plus problems
 * (`dynamic`: not a literal; `unresolved`: a `t("…")` whose `t` is not a known translator;
 * `arguments`: a positional placeholder without an argument).
 */
function extractFile(file: string, text: string): { messages: CallMessage[]; problems: FileProblem[] } {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const messages: CallMessage[] = [];
  const problems: FileProblem[] = [];
  const lineOf = (node: ts.Node): number => source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;

  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node)) {
      inspectCall(node);
    }
    ts.forEachChild(node, visit);
  };

  const inspectCall = (call: ts.CallExpression): void => {
    const callee = call.expression;
    let translator: boolean = isL10nT(callee);
    if (!translator && ts.isIdentifier(callee)) {
      const decl = resolveIdentifier(callee);
      translator = !!decl && isTranslatorDeclaration(decl);
      if (!translator && !decl && callee.text === "t" && call.arguments[0] && literalText(call.arguments[0]) !== null) {
        problems.push({ line: lineOf(call), kind: "unresolved", text: `t(${call.arguments[0].getText(source)}) calls a \`t\` that is not a known translator; bind it with \`const t = vscode.l10n.t\` or type it \`Translate\`` });
      }
    }
    if (!translator) {
      return;
    }
    const [first, ...rest] = call.arguments;
    if (!first) {
      problems.push({ line: lineOf(call), kind: "dynamic", text: "l10n.t() without a message" });
      return;
    }
    let message = literalText(first);
    let comment = "";
    let argCount = rest.some((a) => ts.isSpreadElement(a)) ? Infinity : rest.length;
    if (rest.length === 1 && ts.isObjectLiteralExpression(rest[0])) {
      argCount = Infinity; // named arguments: {name}
    }
    if (message === null && ts.isObjectLiteralExpression(first)) {
      const property = (name: string): ts.PropertyAssignment | undefined =>
        first.properties.find((p): p is ts.PropertyAssignment => ts.isPropertyAssignment(p) && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) && p.name.text === name);
      const messageProperty = property("message");
      message = messageProperty ? literalText(messageProperty.initializer) : null;
      const commentProperty = property("comment");
      if (commentProperty) {
        const value = commentProperty.initializer;
        if (ts.isArrayLiteralExpression(value) && value.elements.every((e) => literalText(e) !== null)) {
          comment = value.elements.map((e) => literalText(e)).join("");
        } else if (literalText(value) !== null) {
          comment = literalText(value) ?? "";
        } else {
          message = null;
        }
      }
      const argsProperty = property("args");
      argCount = !argsProperty ? 0 : ts.isArrayLiteralExpression(argsProperty.initializer) && !argsProperty.initializer.elements.some((e) => ts.isSpreadElement(e)) ? argsProperty.initializer.elements.length : Infinity;
    }
    if (message === null) {
      // A translator wrapper forwarding its own parameter is not a message of its own.
      const fn = enclosingFunction(call);
      const forwarded = fn !== null && wrapperDeclaration(fn) !== null && ts.isIdentifier(first) && fn.parameters.some((p) => ts.isIdentifier(p.name) && p.name.text === first.text);
      if (!forwarded) {
        problems.push({ line: lineOf(call), kind: "dynamic", text: `the message ${first.getText(source).slice(0, 80)} is not a string literal, so it cannot be extracted or translated` });
      }
      return;
    }
    // Without arguments VS Code returns the message as written: a template whose {0} is filled
    // later (the webview strings table). With arguments, every {N} needs one.
    for (const p of argCount === 0 ? [] : placeholders(message)) {
      const index = /^\{(\d+)\}$/.exec(p)?.[1];
      if (index !== undefined && Number(index) >= argCount) {
        problems.push({ line: lineOf(call), kind: "arguments", text: `"${message}" uses ${p} but the call passes ${argCount} argument(s)` });
      }
    }
    messages.push({ key: comment ? `${message}/${comment}` : message, message, comment, line: lineOf(call) });
  };

  visit(source);
  return { messages, problems };
}

/** Every message in `root/src`, in file order, with where it is used. */
export function extract(root: string): { messages: SourceMessage[]; problems: SourceProblem[] } {
  const byKey = new Map<string, SourceMessage>();
  const problems: SourceProblem[] = [];
  for (const file of sourceFiles(join(root, "src"))) {
    const rel = relative(root, file);
    const { messages, problems: fileProblems } = extractFile(rel, readFileSync(file, "utf8"));
    for (const m of messages) {
      const entry = byKey.get(m.key) ?? { key: m.key, message: m.message, comment: m.comment, locations: [] };
      entry.locations.push(`${rel}:${m.line}`);
      byKey.set(m.key, entry);
    }
    for (const p of fileProblems) {
      problems.push({ location: `${rel}:${p.line}`, kind: p.kind, text: p.text });
    }
  }
  return { messages: [...byKey.values()], problems };
}

// ── translations ────────────────────────────────────────────────────────────────────────────────

/**
 * What a translation must keep from its source text: placeholders, the targets of markdown links
 * (`](command:…)` — only the link text is translated), code spans, `atl.*` setting names.
 */
export function invariants(text: string): string[] {
  const links = [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => `link ${m[1]}`);
  const code = [...text.matchAll(/`([^`]+)`/g)].map((m) => `code \`${m[1]}\``);
  const settings = [...text.replace(/`[^`]*`|\]\([^)\s]+\)/g, "").matchAll(/\batl(?:\.[A-Za-z]+)+\b/g)].map((m) => `setting ${m[0]}`);
  return [...placeholders(text).map((p) => `placeholder ${p}`), ...links, ...code, ...settings].sort();
}

function multisetDifference(a: string[], b: string[]): string[] {
  const counts = new Map<string, number>();
  for (const x of b) {
    counts.set(x, (counts.get(x) ?? 0) + 1);
  }
  const out: string[] = [];
  for (const x of a) {
    const n = counts.get(x) ?? 0;
    if (n > 0) {
      counts.set(x, n - 1);
    } else {
      out.push(x);
    }
  }
  return out;
}

/** Compares a translation table with its source (`key → English`). */
export function compareTranslations(source: Record<string, string>, translated: Table): Comparison {
  const missing = Object.keys(source).filter((k) => !Object.hasOwn(translated, k));
  const extra = Object.keys(translated).filter((k) => !Object.hasOwn(source, k));
  const empty: string[] = [];
  const notText: string[] = [];
  const changed: Comparison["changed"] = [];
  for (const [key, english] of Object.entries(source)) {
    if (!Object.hasOwn(translated, key)) {
      continue;
    }
    const value = translated[key];
    if (typeof value !== "string") {
      notText.push(key);
      continue;
    }
    if (value.trim() === "") {
      empty.push(key);
      continue;
    }
    const want = invariants(english);
    const have = invariants(value);
    const lost = multisetDifference(want, have);
    const added = multisetDifference(have, want);
    if (lost.length > 0 || added.length > 0) {
      changed.push({ key, lost, added });
    }
  }
  return { missing, extra, empty, notText, changed };
}

function readJson<T = Table>(file: string): T {
  return JSON.parse(readFileSync(file, "utf8")) as T;
}

/** `%key%` strings anywhere in package.json's contributes (and the top-level display fields). */
function manifestReferences(manifest: Manifest): string[] {
  const keys = new Set<string>();
  const walk = (value: unknown): void => {
    if (typeof value === "string") {
      const key = /^%(.+)%$/.exec(value)?.[1];
      if (key) {
        keys.add(key);
      }
    } else if (Array.isArray(value)) {
      value.forEach(walk);
    } else if (value && typeof value === "object") {
      Object.values(value).forEach(walk);
    }
  };
  walk({ displayName: manifest.displayName, description: manifest.description, contributes: manifest.contributes });
  return [...keys].sort();
}

/** The English source bundle as `@vscode/l10n-dev` writes it: `key → message` (or `{message, comment}`). */
function englishBundle(messages: SourceMessage[]): Record<string, string | { message: string; comment: string[] }> {
  const bundle: Record<string, string | { message: string; comment: string[] }> = {};
  for (const m of messages) {
    bundle[m.key] = m.comment ? { message: m.message, comment: [m.comment] } : m.message;
  }
  return bundle;
}

/**
 * Messages that name a command as the palette shows it ("Run ATL: Add host first.") must name it
 * by its translated title, or a Korean user looks for a command that is not in their palette.
 * `titles` maps each English command title to its translation.
 */
export function commandReferences(source: Record<string, unknown>, translated: Table, titles: Map<string, string>): CommandReference[] {
  const byLength = [...titles.keys()].sort((a, b) => b.length - a.length);
  const problems: CommandReference[] = [];
  for (const [key, english] of Object.entries(source)) {
    const value = translated[key];
    if (typeof value !== "string") {
      continue;
    }
    if (typeof english !== "string") {
      continue;
    }
    let rest = english;
    for (const title of byLength) {
      const reference = `ATL: ${title}`;
      const pattern = new RegExp(`${reference.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?![\\w-])`, "g");
      const count = (rest.match(pattern) ?? []).length;
      if (count === 0) {
        continue;
      }
      rest = rest.replace(pattern, "");
      const want = `ATL: ${titles.get(title) ?? title}`;
      const have = value.split(want).length - 1;
      if (have < count) {
        problems.push({ key, want });
      }
    }
  }
  return problems;
}

/** English command title → translated title, from the manifest's `%command.*%` titles. */
function commandTitles(manifest: Manifest, nlsSource: Table, nlsTranslated: Table): Map<string, string> {
  const titles = new Map<string, string>();
  for (const command of manifest.contributes?.commands ?? []) {
    const key = /^%(.+)%$/.exec(command.title ?? "")?.[1];
    const english = key ? nlsSource[key] : undefined;
    const translated = key ? nlsTranslated[key] : undefined;
    if (typeof english === "string" && typeof translated === "string") {
      titles.set(english, translated);
    }
  }
  return titles;
}

/** The full report for a project root. */
export function report(root: string): L10nReport {
  const { messages, problems } = extract(root);
  const sourceTable: Record<string, string> = Object.fromEntries(messages.map((m) => [m.key, m.message]));
  const l10nDir = join(root, "l10n");
  const bundles: Record<string, TableReport> = {};
  if (existsSync(l10nDir)) {
    for (const name of readdirSync(l10nDir).sort()) {
      const lang = /^bundle\.l10n\.(.+)\.json$/.exec(name)?.[1];
      if (lang) {
        bundles[lang] = { file: relative(root, join(l10nDir, name)), ...compareTranslations(sourceTable, readJson(join(l10nDir, name))) };
      }
    }
  }
  const englishFile = join(l10nDir, "bundle.l10n.json");
  const wantedEnglish = `${JSON.stringify(englishBundle(messages), null, 2)}\n`;
  const englishUpToDate = existsSync(englishFile) && readFileSync(englishFile, "utf8") === wantedEnglish;

  const manifestFile = join(root, "package.json");
  const manifest: Manifest = existsSync(manifestFile) ? readJson<Manifest>(manifestFile) : {};
  const nlsFile = join(root, "package.nls.json");
  const nlsSource = existsSync(nlsFile) ? readJson<Record<string, string>>(nlsFile) : {};
  const nls: Record<string, TableReport> = {};
  for (const name of readdirSync(root).sort()) {
    const lang = /^package\.nls\.(.+)\.json$/.exec(name)?.[1];
    if (lang) {
      const translated = readJson(join(root, name));
      const titles = commandTitles(manifest, nlsSource, translated);
      nls[lang] = { file: name, ...compareTranslations(nlsSource, translated), commandReferences: commandReferences(nlsSource, translated, titles) };
      if (bundles[lang]) {
        const bundle = readJson(join(l10nDir, `bundle.l10n.${lang}.json`));
        bundles[lang].commandReferences = commandReferences(sourceTable, bundle, titles);
      }
    }
  }
  const references = manifestReferences(manifest);
  const manifestCheck = {
    l10nField: manifest.l10n ?? null,
    missing: references.filter((k) => !Object.hasOwn(nlsSource, k)),
    unused: Object.keys(nlsSource).filter((k) => !references.includes(k)),
  };
  return { root, messages, problems, bundles, englishBundle: { file: relative(root, englishFile), upToDate: englishUpToDate, contents: wantedEnglish }, nls, manifest: manifestCheck };
}

/** Human-readable lines for each problem; empty when all is well. */
export function problemLines(r: L10nReport, { check }: { check: boolean }): string[] {
  const lines: string[] = [];
  for (const p of r.problems) {
    lines.push(`${p.location}: ${p.kind}: ${p.text}`);
  }
  const table = (file: string, c: TableReport): void => {
    for (const k of c.missing) {
      lines.push(`${file}: missing ${JSON.stringify(k)}`);
    }
    for (const k of c.extra) {
      lines.push(`${file}: orphaned ${JSON.stringify(k)} (no longer in the sources)`);
    }
    for (const k of c.empty) {
      lines.push(`${file}: empty ${JSON.stringify(k)}`);
    }
    for (const k of c.notText) {
      lines.push(`${file}: ${JSON.stringify(k)} is not a string`);
    }
    for (const ref of c.commandReferences ?? []) {
      lines.push(`${file}: ${JSON.stringify(ref.key)} must name the command as "${ref.want}" (its translated title)`);
    }
    for (const ch of c.changed) {
      const parts = [...ch.lost.map((x) => `lost ${x}`), ...ch.added.map((x) => `added ${x}`)];
      lines.push(`${file}: ${JSON.stringify(ch.key)}: ${parts.join("; ")}`);
    }
  };
  for (const c of Object.values(r.bundles)) {
    table(c.file, c);
  }
  for (const c of Object.values(r.nls)) {
    table(c.file, c);
  }
  for (const k of r.manifest.missing) {
    lines.push(`package.json: %${k}% has no entry in package.nls.json`);
  }
  for (const k of r.manifest.unused) {
    lines.push(`package.nls.json: ${JSON.stringify(k)} is not used by package.json`);
  }
  if (r.manifest.l10nField !== "./l10n") {
    lines.push(`package.json: "l10n" must be "./l10n" (is ${JSON.stringify(r.manifest.l10nField)})`);
  }
  if (check && !r.englishBundle.upToDate) {
    lines.push(`${r.englishBundle.file}: out of date; run npm run l10n`);
  }
  return lines;
}

// ── command line ────────────────────────────────────────────────────────────────────────────────

function main(argv: string[]): number {
  const check = argv.includes("--check");
  const json = argv.includes("--json");
  const rootIndex = argv.indexOf("--root");
  if (rootIndex >= 0 && (argv[rootIndex + 1] === undefined || argv[rootIndex + 1].startsWith("--"))) {
    process.stderr.write("l10n: --root needs a folder\n");
    return 2;
  }
  const root = rootIndex >= 0 ? resolve(argv[rootIndex + 1]) : SCRIPT_ROOT;
  const r = report(root);
  if (!check && !json && !r.englishBundle.upToDate) {
    mkdirSync(join(root, "l10n"), { recursive: true });
    writeFileSync(join(root, r.englishBundle.file), r.englishBundle.contents);
    r.englishBundle.upToDate = true;
  }
  const lines = problemLines(r, { check: check || json });
  if (json) {
    const { contents: _contents, ...english } = r.englishBundle;
    process.stdout.write(`${JSON.stringify({ ...r, englishBundle: english, problemLines: lines }, null, 2)}\n`);
  } else {
    const languages = [...new Set([...Object.keys(r.bundles), ...Object.keys(r.nls)])].join(", ") || "none";
    process.stdout.write(`l10n: ${r.messages.length} messages in src/, ${Object.keys(readJsonSafe(join(root, "package.nls.json"))).length} manifest strings; translations: ${languages}\n`);
    for (const line of lines) {
      process.stdout.write(`${line}\n`);
    }
    process.stdout.write(lines.length === 0 ? "l10n: no problems\n" : `l10n: ${lines.length} problem(s)\n`);
  }
  return lines.length === 0 ? 0 : 1;
}

function readJsonSafe(file: string): Table {
  return existsSync(file) ? readJson(file) : {};
}

// Run as a command (not when a test imports its functions).
if (require.main === module) {
  process.exitCode = main(process.argv.slice(2));
}
