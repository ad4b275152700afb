// The bundles loaded beside dist/extension.js on first use, each typed by its entry module: graph.js
// (LangChain, the graph, the transports, the policy) on the first diagnosis or real host test, and
// sqs.js (the AWS SDK) when a window starts polling or tests a queue. The type-only imports are
// erased by esbuild, so neither enters extension.js; a runtime `require` loads the file itself.
import * as path from "node:path";
import type * as GraphEntry from "../graph/index";
import type * as SqsEntry from "../sqs/index";
import { AtlError } from "../shared/errors";
import type { Logger } from "../shared/log";

export type GraphBundle = typeof GraphEntry;
export type SqsBundle = typeof SqsEntry;

interface Bundles {
  graph: GraphBundle;
  sqs: SqsBundle;
}

/** Loads a bundle on the first call; later calls return the same module. */
export type BundleLoader<T> = () => T;

const WHAT: Record<keyof Bundles, string> = { graph: "diagnosis graph", sqs: "SQS client" };

/** `distDir/<name>.js`, required once; a missing or broken file is an AtlError with the fix. */
export function bundleLoader<K extends keyof Bundles>(name: K, distDir: string, logger: Logger): BundleLoader<Bundles[K]> {
  const file = path.join(distDir, `${name}.js`);
  let loaded: Bundles[K] | undefined;
  return () => {
    if (!loaded) {
      const started = performance.now();
      try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        loaded = require(file) as Bundles[K];
      } catch (error) {
        throw new AtlError("internal", `Could not load ATL's ${WHAT[name]} (${file}): ${error instanceof Error ? error.message : String(error)}`, {
          cause: error,
          fix: "Reinstall the ATL extension; the file is part of it.",
        });
      }
      logger.info(`ATL's ${WHAT[name]} loaded in ${Math.round(performance.now() - started)} ms.`);
    }
    return loaded;
  };
}
