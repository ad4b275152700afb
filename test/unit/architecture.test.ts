// The layering of docs/architecture.md, checked on every import of src/ and agent/src/ (type-only
// ones too): `vscode` only in the adapters, every adapter really one, the agent reaching outside
// its package only for src/shared/, src/shared/ depending on nothing of ATL, and no cycle between
// folders. A new folder cycle or a stray `vscode` import fails here, with the files that cause it.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, it } from "node:test";
import ts from "typescript";

const root = resolve(import.meta.dirname, "..", "..");

interface SourceFile {
  /** Repository-relative path, e.g. src/graph/nodes/analyze.ts. */
  path: string;
  /** Relative imports resolved to repository-relative files (without extension), and bare module names. */
  imports: { module: string; target: string | null }[];
}

function listTs(dir: string): string[] {
  return readdirSync(join(root, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith(".ts") && !e.name.endsWith(".d.ts"))
    .map((e) => relative(root, join(e.parentPath, e.name)));
}

function read(path: string): SourceFile {
  const info = ts.preProcessFile(readFileSync(join(root, path), "utf8"), true, true);
  const imports = info.importedFiles.map(({ fileName }) => ({
    module: fileName,
    target: fileName.startsWith(".") ? relative(root, resolve(root, dirname(path), fileName)).replace(/\.(ts|js)$/, "") : null,
  }));
  return { path, imports };
}

const files = [...listTs("src"), ...listTs("agent/src")].map(read);

/** The layer a file belongs to: the folder under src/ (or agent/src/), or the file itself at the top. */
function folderOf(path: string): string {
  const parts = path.replace(/\.ts$/, "").split("/");
  const depth = parts[0] === "agent" ? 3 : 2;
  return parts.length > depth ? parts.slice(0, depth).join("/") : parts[0] === "agent" ? "agent/src" : path.replace(/\.ts$/, "");
}

/** A relative import names a file or a folder's index.ts. */
function targetFolder(target: string): string {
  const isFolder = files.some((f) => f.path === `${target}/index.ts`);
  return folderOf(isFolder ? `${target}/index.ts` : `${target}.ts`);
}

const usesVscode = (file: SourceFile): boolean => file.imports.some((i) => i.module === "vscode");

void describe("architecture: layers and boundaries", () => {
  void it("imports vscode only in src/extension.ts and src/vscode/", () => {
    const stray = files.filter((f) => usesVscode(f) && f.path !== "src/extension.ts" && !f.path.startsWith("src/vscode/"));
    assert.deepEqual(stray.map((f) => f.path), []);
  });

  void it("every module under src/vscode/ is an adapter: it imports vscode", () => {
    const domain = files.filter((f) => f.path.startsWith("src/vscode/") && !usesVscode(f));
    assert.deepEqual(domain.map((f) => f.path), [], "code without vscode belongs to a domain folder (src/diagnosis/, src/alarms/, …)");
  });

  void it("the agent reaches outside agent/ only for src/shared/", () => {
    const outside = files
      .filter((f) => f.path.startsWith("agent/"))
      .flatMap((f) => f.imports.filter((i) => i.target && !i.target.startsWith("agent/") && !i.target.startsWith("src/shared/")).map((i) => `${f.path} → ${i.module}`));
    assert.deepEqual(outside, []);
  });

  void it("src/shared/ depends on nothing else of ATL", () => {
    const outside = files
      .filter((f) => f.path.startsWith("src/shared/"))
      .flatMap((f) => f.imports.filter((i) => i.target && !i.target.startsWith("src/shared/")).map((i) => `${f.path} → ${i.module}`));
    assert.deepEqual(outside, []);
  });

  void it("no cycle between folders", () => {
    const edges = new Map<string, Map<string, string>>();
    for (const file of files) {
      const from = folderOf(file.path);
      for (const { target, module } of file.imports) {
        const to = target ? targetFolder(target) : null;
        if (to && to !== from) {
          const out = edges.get(from) ?? new Map<string, string>();
          out.set(to, out.get(to) ?? `${file.path} → ${module}`);
          edges.set(from, out);
        }
      }
    }
    // Tarjan's strongly connected components: any component of two or more folders is a cycle.
    const index = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const cycles: string[][] = [];
    const visit = (node: string): void => {
      index.set(node, index.size);
      low.set(node, index.get(node)!);
      stack.push(node);
      for (const next of edges.get(node)?.keys() ?? []) {
        if (!index.has(next)) {
          visit(next);
          low.set(node, Math.min(low.get(node)!, low.get(next)!));
        } else if (stack.includes(next)) {
          low.set(node, Math.min(low.get(node)!, index.get(next)!));
        }
      }
      if (low.get(node) === index.get(node)) {
        const component: string[] = [];
        let top: string;
        do {
          top = stack.pop()!;
          component.push(top);
        } while (top !== node);
        if (component.length > 1) {
          cycles.push(component);
        }
      }
    };
    for (const node of edges.keys()) {
      if (!index.has(node)) {
        visit(node);
      }
    }
    const explained = cycles.map((component) =>
      component
        .flatMap((a) => component.filter((b) => edges.get(a)?.has(b)).map((b) => `${a} → ${b} (${edges.get(a)!.get(b)})`))
        .join("; "),
    );
    assert.deepEqual(explained, []);
  });
});
