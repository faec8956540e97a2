/** Types of describe-extension.js (plain CommonJS, shared with a node child that loads packed ES modules). */
export interface ExtensionDescription {
  id: string;
  getters: string[];
  panels: Array<{ id: string; name: string; label: string; icon: string; component: string }>;
  commands: string[];
  toolbarButtons: Array<{ id: string; command: string; icon: string; label: string; customization: string }>;
  hotkeys: Array<{ command: string; keys: string[]; label: string }>;
}
export function describeExtension(ext: unknown): ExtensionDescription;
export function manifestProblems(description: ExtensionDescription, pkg: unknown): string[];
export function minimalParams(registeredHotkeys: unknown[]): Record<string, unknown>;
