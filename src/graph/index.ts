// Entry of dist/graph.js: loaded on the first diagnosis only (LangChain lives here, not in extension.js).
export type * from "./diagnosis";
