// The chat panel's page: CSP with a nonce, one stylesheet and one script from media/, and a loading
// state that shows before the script runs and until the thread arrives (the extension host may be
// busy loading the diagnosis engine for seconds on the first diagnosis). The host fills it in
// (src/vscode/chat/panel.ts); the browser tests load the same page.

export interface PanelPage {
  /** `webview.cspSource`: where styles, fonts and images may come from. */
  cspSource: string;
  /** A fresh random value per render (crypto.randomUUID), allowing the one script. */
  nonce: string;
  scriptUri: string;
  styleUri: string;
  /** BCP 47 language of the page (the editor's display language). */
  lang: string;
  /** Localized "loading" text shown until the thread arrives. */
  loading: string;
}

/** Text for an HTML text node or a double-quoted attribute value. */
function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

export function panelHtml(page: PanelPage): string {
  const csp = [
    "default-src 'none'",
    `style-src ${page.cspSource}`,
    `font-src ${page.cspSource}`,
    `img-src ${page.cspSource}`,
    `script-src 'nonce-${page.nonce}'`,
  ].join("; ");
  const lang = page.lang.replace(/[^A-Za-z0-9-]/g, "");
  return `<!DOCTYPE html>
<html lang="${lang}">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${escapeHtml(page.styleUri)}">
<title>ATL</title>
</head>
<body>
<main id="app" aria-busy="true"><div class="loading" role="status"><span class="spinner" aria-hidden="true"></span><span>${escapeHtml(page.loading)}</span></div></main>
<script nonce="${escapeHtml(page.nonce)}" src="${escapeHtml(page.scriptUri)}"></script>
</body>
</html>`;
}
