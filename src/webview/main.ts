// The chat panel's browser code (bundled into media/webview.js).
export {};
