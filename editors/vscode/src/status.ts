import * as path from 'path';
import * as vscode from 'vscode';

export const SHOW_LOGS_COMMAND = 'policyCheck.showLogs';
export const OPEN_SERVER_SETTING_COMMAND = 'policyCheck.openServerPathSetting';

/** What the server said about the config governing a document or folder. */
export interface ConfigStatus {
  config: string | null;
  configError: string | null;
}

/** The server's `policyCheck/status` notification. */
export interface ServerStatus extends ConfigStatus {
  version: string;
}

type State =
  | { kind: 'disabled' }
  | { kind: 'starting' }
  | { kind: 'running'; version: string; source: string }
  | { kind: 'stopped' }
  | { kind: 'missing'; problem: string }
  | { kind: 'failed'; problem: string };

/**
 * The language status item ("{}" in the status bar next to the language):
 * the server's state and version, and the `policy-check.toml` that governs
 * the active document.
 */
export class StatusItem implements vscode.Disposable {
  private readonly item: vscode.LanguageStatusItem;
  private state: State = { kind: 'stopped' };
  private config: ConfigStatus | undefined;

  constructor(selector: vscode.DocumentSelector) {
    this.item = vscode.languages.createLanguageStatusItem('policyCheck.status', selector);
    this.item.name = 'Policy Check';
    this.render();
  }

  set(state: State): void {
    this.state = state;
    if (state.kind !== 'running') {
      this.config = undefined;
    }
    this.render();
  }

  setConfig(config: ConfigStatus | undefined): void {
    this.config = config;
    this.render();
  }

  dispose(): void {
    this.item.dispose();
  }

  private render(): void {
    const item = this.item;
    const state = this.state;
    item.busy = state.kind === 'starting';
    item.severity = vscode.LanguageStatusSeverity.Information;
    item.command = { title: 'Show Logs', command: SHOW_LOGS_COMMAND };
    switch (state.kind) {
      case 'disabled':
        item.text = 'policy-lsp: disabled';
        item.detail = 'policyCheck.enable is off';
        break;
      case 'starting':
        item.text = 'policy-lsp: starting';
        item.detail = undefined;
        break;
      case 'stopped':
        item.text = 'policy-lsp: stopped';
        item.detail = undefined;
        break;
      case 'missing':
        item.text = 'policy-lsp: not found';
        item.detail = state.problem;
        item.severity = vscode.LanguageStatusSeverity.Error;
        item.command = { title: 'Open Settings', command: OPEN_SERVER_SETTING_COMMAND };
        break;
      case 'failed':
        item.text = 'policy-lsp: failed to start';
        item.detail = state.problem;
        item.severity = vscode.LanguageStatusSeverity.Error;
        break;
      case 'running': {
        item.text = `policy-lsp ${state.version} (${state.source})`;
        const config = this.config;
        if (config?.configError) {
          item.severity = vscode.LanguageStatusSeverity.Warning;
          item.detail = `${shortPath(config.config)}: ${firstLine(config.configError)}`;
        } else if (config?.config) {
          item.detail = `config: ${shortPath(config.config)}`;
        } else {
          item.detail = config ? 'no policy-check.toml' : undefined;
        }
        break;
      }
    }
  }
}

/** A path relative to its workspace folder when it lies in one. */
function shortPath(file: string | null): string {
  if (!file) {
    return 'policy-check.toml';
  }
  const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(file));
  return folder ? path.relative(folder.uri.fsPath, file) : file;
}

function firstLine(text: string): string {
  const lines = text.split('\n');
  return lines.length > 1 ? `${lines[0]} (+${lines.length - 1} more)` : lines[0];
}
