import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import {
  DocumentSelector,
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
  TransportKind,
} from 'vscode-languageclient/node';

// The client id must match the settings prefix: vscode-languageclient reads
// `<id>.trace.server` on its own.
const CLIENT_ID = 'policyCheck';
const CLIENT_NAME = 'Policy Check';
const SERVER_NAME = 'policy-lsp';

type MinSeverity = 'hint' | 'info' | 'warning' | 'error';

const SEVERITY_CUTOFF: Record<MinSeverity, vscode.DiagnosticSeverity> = {
  hint: vscode.DiagnosticSeverity.Hint,
  info: vscode.DiagnosticSeverity.Information,
  warning: vscode.DiagnosticSeverity.Warning,
  error: vscode.DiagnosticSeverity.Error,
};

// The documents the server goes to. The server itself decides which of
// them hold a key policy (a JSON policy, a CloudFormation template with a
// key, a Terraform module) and stays silent on the rest.
//
// Files are matched by name as well as by language: another extension may
// give a CloudFormation template its own language id (or a `.template` file
// none), and `.tf` files have none without HashiCorp's extension. No
// language or grammar is contributed for YAML or Terraform: the Red Hat YAML
// extension, the CloudFormation language server and HashiCorp's extension
// own those, and this one only adds its findings next to theirs.
const DOCUMENT_SELECTOR: DocumentSelector = [
  { scheme: 'file', language: 'json' },
  { scheme: 'untitled', language: 'json' },
  { scheme: 'file', language: 'jsonc' },
  { scheme: 'untitled', language: 'jsonc' },
  { scheme: 'file', language: 'yaml' },
  { scheme: 'untitled', language: 'yaml' },
  { scheme: 'file', pattern: '**/*.{yaml,yml,template,json}' },
  { scheme: 'file', language: 'terraform' },
  { scheme: 'file', language: 'terraform-vars' },
  { scheme: 'file', pattern: '**/*.{tf,tfvars}' },
  // Terraform's templatefile() templates.
  { scheme: 'file', pattern: '**/*.{tpl,tftpl}' },
];

let client: LanguageClient | undefined;
// The open documents the server has published diagnostics for: the only
// ones it has anything to say about. Hover, completion, symbol and code
// action requests for any other document are answered here, empty, so that
// every YAML and JSON file does not make a round trip (or a completion
// popup) on our account.
const spokenFor = new Set<string>();
// Both outlive any one client: a restart keeps its log in the same channel, and
// the client never disposes a watcher handed to it in synchronize.fileEvents.
let output: vscode.OutputChannel;
let configWatcher: vscode.FileSystemWatcher;
// Start and stop are async; chaining them keeps a quick enable/disable toggle
// or a double restart from running two servers at once.
let pending: Promise<void> = Promise.resolve();

function serialize(task: () => Promise<void>): Promise<void> {
  pending = pending.then(task, task);
  return pending;
}

function config(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration('policyCheck');
}

export function activate(context: vscode.ExtensionContext): void {
  output = vscode.window.createOutputChannel(CLIENT_NAME);
  configWatcher = vscode.workspace.createFileSystemWatcher('**/policy-check.toml');
  context.subscriptions.push(
    output,
    configWatcher,
    vscode.commands.registerCommand('policyCheck.restartServer', () => {
      if (!config().get<boolean>('enable', true)) {
        void vscode.window.showInformationMessage(
          'Policy Check is disabled (policyCheck.enable is false).',
        );
        return;
      }
      return serialize(async () => {
        await stopClient();
        await startClient();
      });
    }),
    vscode.workspace.onDidCloseTextDocument((document) => {
      spokenFor.delete(document.uri.toString());
    }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      // Other policyCheck settings reach the running server through
      // workspace/didChangeConfiguration; these two need a new process.
      if (
        e.affectsConfiguration('policyCheck.enable') ||
        e.affectsConfiguration('policyCheck.server.path')
      ) {
        void serialize(async () => {
          await stopClient();
          if (config().get<boolean>('enable', true)) {
            await startClient();
          }
        });
      }
    }),
  );

  if (config().get<boolean>('enable', true)) {
    void serialize(startClient);
  }
}

export function deactivate(): Thenable<void> | undefined {
  return serialize(stopClient);
}

async function startClient(): Promise<void> {
  const command = findServer();
  if (!command) {
    const configured = config().get<string>('server.path', '').trim();
    const problem = configured
      ? `"${configured}" (from policyCheck.server.path) is not an executable file`
      : `"${SERVER_NAME}" was not found on PATH`;
    const message =
      `Policy Check: ${problem}. Install it with "cargo install --path crates/policy-lsp" ` +
      'from the policy-check repository, or set "policyCheck.server.path" to its location.';
    output.appendLine(message);
    const open = 'Open Settings';
    void vscode.window
      .showErrorMessage(message, open)
      .then((choice) => {
        if (choice === open) {
          void vscode.commands.executeCommand(
            'workbench.action.openSettings',
            'policyCheck.server.path',
          );
        }
      });
    return;
  }

  const serverOptions: ServerOptions = { command, transport: TransportKind.stdio };
  const cfg = config();
  const clientOptions: LanguageClientOptions = {
    // The server decides which documents hold key policies, so it sees them all.
    documentSelector: DOCUMENT_SELECTOR,
    initializationOptions: {
      enable: cfg.get<boolean>('enable', true),
      minSeverity: cfg.get<MinSeverity>('minSeverity', 'hint'),
      include: cfg.get<string[]>('include', []),
    },
    synchronize: {
      configurationSection: 'policyCheck',
      fileEvents: configWatcher,
    },
    outputChannel: output,
    middleware: {
      // The server is told minSeverity too; filtering here as well keeps the
      // setting honest with a server that does not filter (yet).
      handleDiagnostics(uri, diagnostics, next) {
        const key = uri.toString();
        // A publication after the document closed only clears it.
        if (vscode.workspace.textDocuments.some((d) => d.uri.toString() === key)) {
          spokenFor.add(key);
        }
        const min = config().get<MinSeverity>('minSeverity', 'hint');
        const cutoff = SEVERITY_CUTOFF[min] ?? vscode.DiagnosticSeverity.Hint;
        next(uri, diagnostics.filter((d) => d.severity <= cutoff));
      },
      provideHover(document, position, token, next) {
        return spoken(document) ? next(document, position, token) : undefined;
      },
      provideCompletionItem(document, position, context, token, next) {
        return spoken(document) ? next(document, position, context, token) : undefined;
      },
      provideDocumentSymbols(document, token, next) {
        return spoken(document) ? next(document, token) : undefined;
      },
      provideCodeActions(document, range, context, token, next) {
        return spoken(document) ? next(document, range, context, token) : undefined;
      },
    },
  };

  const next = new LanguageClient(CLIENT_ID, CLIENT_NAME, serverOptions, clientOptions);
  try {
    await next.start();
    client = next;
  } catch (err) {
    // vscode-languageclient has already shown the failure and pointed at the
    // output channel; only make sure nothing is left running.
    output.appendLine(`Failed to start ${command}: ${String(err)}`);
    await next.dispose().catch(() => undefined);
  }
}

function spoken(document: vscode.TextDocument): boolean {
  return spokenFor.has(document.uri.toString());
}

async function stopClient(): Promise<void> {
  const current = client;
  client = undefined;
  // A new server publishes afresh.
  spokenFor.clear();
  if (current) {
    await current.dispose().catch(() => undefined);
  }
}

// Resolved here rather than left to spawn() so a missing binary gets one clear
// message naming the setting instead of the client's generic start-up error.
function findServer(): string | undefined {
  const configured = config().get<string>('server.path', '').trim();
  if (configured) {
    const resolved = resolveConfiguredPath(configured);
    return isFile(resolved) ? resolved : undefined;
  }
  return findOnPath(SERVER_NAME);
}

function resolveConfiguredPath(p: string): string {
  if (p === '~' || p.startsWith('~/') || p.startsWith('~\\')) {
    p = path.join(os.homedir(), p.slice(1));
  }
  if (!path.isAbsolute(p)) {
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (folder && folder.uri.scheme === 'file') {
      p = path.join(folder.uri.fsPath, p);
    }
  }
  return p;
}

function findOnPath(name: string): string | undefined {
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
  const exts =
    process.platform === 'win32'
      ? (process.env.PATHEXT ?? '.EXE;.CMD;.BAT;.COM').split(';').filter(Boolean)
      : [''];
  for (const dir of dirs) {
    for (const ext of exts) {
      const candidate = path.join(dir, name + ext);
      if (isFile(candidate)) {
        return candidate;
      }
    }
  }
  return undefined;
}

function isFile(p: string): boolean {
  try {
    if (!fs.statSync(p).isFile()) {
      return false;
    }
    if (process.platform !== 'win32') {
      fs.accessSync(p, fs.constants.X_OK);
    }
    return true;
  } catch {
    return false;
  }
}
