/**
 * The panel's CSS, injected once into the host document (one .mjs, no CSS file to deploy).
 * Colours follow OHIF's dark theme; every rule is scoped under .sf-panel.
 */
export const STYLE_ELEMENT_ID = 'slice-finder-styles';

const CSS = `
.sf-panel{display:flex;flex-direction:column;gap:10px;padding:10px;color:#d6e1ea;font:13px/1.4 Inter,system-ui,sans-serif;background:#090c29;height:100%;overflow:auto;box-sizing:border-box}
.sf-panel *{box-sizing:border-box}
.sf-panel h2{margin:0;font-size:15px;font-weight:600;color:#5acce6}
.sf-panel label{display:block;color:#a8b9c6;margin-bottom:3px}
.sf-panel textarea,.sf-panel select{width:100%;background:#151a3a;color:#fff;border:1px solid #3a3f99;border-radius:4px;padding:6px;font:inherit}
.sf-panel textarea:focus,.sf-panel select:focus,.sf-panel input:focus,.sf-panel button:focus,.sf-panel [role=listbox]:focus{outline:2px solid #5acce6;outline-offset:1px}
.sf-panel .sf-label-row{display:flex;justify-content:space-between;color:#a8b9c6}
.sf-panel .sf-label-row label{margin-bottom:3px}
.sf-panel .sf-hint{font-size:11px;color:#7f8fa6;margin:2px 0 0}
.sf-panel .sf-row{display:flex;gap:8px;align-items:center}
.sf-panel .sf-row>*{flex:1}
.sf-panel input[type=range]{width:100%;accent-color:#5acce6}
.sf-panel button{background:#3a3f99;color:#fff;border:0;border-radius:4px;padding:6px 10px;font:inherit;cursor:pointer}
.sf-panel button.sf-primary{background:#5acce6;color:#041c4a;font-weight:600}
.sf-panel button:disabled{opacity:.5;cursor:default}
.sf-panel .sf-progress{height:6px;background:#151a3a;border-radius:3px;overflow:hidden}
.sf-panel .sf-progress>div{height:100%;background:#5acce6;transition:width .2s}
.sf-panel .sf-alert{border-left:3px solid #e55;background:#2a1020;padding:6px 8px;border-radius:3px}
.sf-panel .sf-notice{border-left:3px solid #fb3;background:#2a2410;padding:6px 8px;border-radius:3px}
.sf-panel .sf-reading{background:#151a3a;padding:6px;border-radius:4px;white-space:pre-wrap;word-break:break-word}
.sf-panel mark.sf-term{background:#1f5f74;color:#fff;border-radius:2px;padding:0 1px}
.sf-panel mark.sf-term.sf-negated{background:#5f1f4a}
.sf-panel .sf-unknown{text-decoration:underline wavy #e58a2e;text-underline-offset:3px;color:#e5b98a}
.sf-panel .sf-legend{font-size:11px;color:#7f8fa6;display:flex;gap:10px;margin-top:3px}
.sf-panel .sf-listbox{display:flex;flex-direction:column;gap:8px}
.sf-panel .sf-listbox ul{list-style:none;margin:0;padding:0;display:flex;flex-direction:column;gap:4px;min-width:0}
.sf-panel .sf-group-heading{font-weight:600;color:#5acce6;overflow-wrap:anywhere}
.sf-panel .sf-group-note{font-size:11px;color:#e5b98a}
.sf-panel li[role=option]{display:flex;gap:8px;padding:4px;border-radius:4px;border:1px solid transparent;cursor:pointer;background:#10143a;min-width:0}
.sf-panel li[role=option][aria-selected=true]{border-color:#5acce6;background:#1a2158}
.sf-panel .sf-thumb{width:64px;height:64px;flex:none;background:#000;border-radius:3px;display:flex;align-items:center;justify-content:center;color:#7f8fa6;font-size:11px;overflow:hidden}
.sf-panel .sf-thumb img{width:100%;height:100%;image-rendering:pixelated}
.sf-panel .sf-result-body{flex:1;min-width:0;display:flex;flex-direction:column;gap:2px;overflow-wrap:anywhere}
.sf-panel .sf-scorebar{position:relative;height:6px;background:#151a3a;border-radius:3px;overflow:hidden}
.sf-panel .sf-scorebar .sf-cut{position:absolute;top:0;bottom:0;width:2px;margin-left:-1px;background:#fff}
.sf-panel .sf-score{font-size:11px;color:#e5b98a}
.sf-panel .sf-score.sf-confident{color:#7fe07f}
.sf-panel .sf-scorebar>div{height:100%;background:linear-gradient(90deg,#3a77e5,#5acce6)}
.sf-panel .sf-chips{display:flex;flex-wrap:wrap;gap:3px}
.sf-panel .sf-chip{background:#1f5f74;border-radius:8px;padding:0 6px;font-size:11px;overflow-wrap:anywhere}
.sf-panel .sf-chip.sf-mismatch{background:#5f3a1f}
.sf-panel .sf-counter{font-size:11px;color:#7f8fa6;white-space:nowrap;flex:none}
.sf-panel .sf-counter.sf-over{color:#ff8080;font-weight:600}
.sf-panel label.sf-check{display:flex;gap:6px;align-items:center;color:#d6e1ea}
.sf-panel .sf-save{border:1px solid #3a3f99;border-radius:4px;padding:6px 8px;margin:0;min-width:0;display:flex;flex-direction:column;gap:6px}
.sf-panel .sf-save legend{color:#5acce6;font-weight:600;padding:0 4px}
.sf-panel .sf-save label.sf-check{overflow-wrap:anywhere;margin:0}
.sf-panel .sf-muted{color:#7f8fa6;font-size:11px}
.sf-panel .sf-visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
`;

export function injectStyles(doc: Document = document): void {
  if (doc.getElementById(STYLE_ELEMENT_ID)) return;
  const style = doc.createElement('style');
  style.id = STYLE_ELEMENT_ID;
  style.textContent = CSS;
  doc.head.appendChild(style);
}
