import * as vscode from 'vscode';
import {
  DidChangeConfigurationNotification,
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
  State,
  TransportKind,
} from 'vscode-languageclient/node';

import { mayHoldKeyPolicy } from './policyFiles';
import { findServer, SERVER_NAME, ServerLookup } from './serverPath';
import {
  ConfigStatus,
  OPEN_SERVER_SETTING_COMMAND,
  SHOW_LOGS_COMMAND,
  ServerStatus,
  StatusItem,
} from './status';

// The client id must match the settings prefix: vscode-languageclient reads
// `<id>.trace.server` on its own.
const CLIENT_ID = 'policyCheck';
const CLIENT_NAME = 'Policy Check';
const SERVER_PATH_SETTING = 'policyCheck.server.path';
// globalState key: the user asked never to be told again that the server is missing.
const MISSING_SERVER_SILENCED = 'policyCheck.missingServer.silenced';

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
// Plain filters, which both vscode-languageclient and the language status
// item accept.
const DOCUMENT_SELECTOR: { scheme: string; language?: string; pattern?: string }[] = [
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
// The requests of the current client (set as soon as it is created, before it
// has started).
let requests: RequestGuard | undefined;
// The open documents the server has published diagnostics for: the only
// ones it has anything to say about. Hover, completion, symbol and code
// action requests for any other document are answered here, empty, so that
// every YAML and JSON file does not make a round trip (or a completion
// popup) on our account.
const spokenFor = new Set<string>();
// These outlive any one client: a restart keeps its log in the same channel,
// and the client never disposes a watcher handed to it in synchronize.fileEvents.
let output: vscode.LogOutputChannel;
let configWatcher: vscode.FileSystemWatcher;
let status: StatusItem;
let extensionContext: vscode.ExtensionContext;
// Why the server could not be found, while it cannot; and whether the user
// was told this session.
let missingServer: string | undefined;
let toldMissingServer = false;
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

/** The settings the server reads, as it reads them. */
function serverSettings(): { enable: boolean; minSeverity: MinSeverity; include: string[] } {
  const cfg = config();
  return {
    enable: cfg.get<boolean>('enable', true),
    minSeverity: cfg.get<MinSeverity>('minSeverity', 'hint'),
    include: cfg.get<string[]>('include', []),
  };
}

export function activate(context: vscode.ExtensionContext): void {
  extensionContext = context;
  output = vscode.window.createOutputChannel(CLIENT_NAME, { log: true });
  configWatcher = vscode.workspace.createFileSystemWatcher('**/policy-check.toml');
  status = new StatusItem(DOCUMENT_SELECTOR);
  context.subscriptions.push(
    output,
    configWatcher,
    status,
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
    vscode.commands.registerCommand(SHOW_LOGS_COMMAND, () => output.show(true)),
    vscode.commands.registerCommand(OPEN_SERVER_SETTING_COMMAND, openServerPathSetting),
    vscode.workspace.onDidOpenTextDocument((document) => reportMissingServerFor(document)),
    vscode.workspace.onDidCloseTextDocument((document) => {
      spokenFor.delete(document.uri.toString());
    }),
    vscode.window.onDidChangeActiveTextEditor(() => void refreshConfigStatus()),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (
        e.affectsConfiguration('policyCheck.enable') ||
        e.affectsConfiguration(SERVER_PATH_SETTING)
      ) {
        // These need a new process (or none). The running client is
        // stopped, not told: vscode-languageclient's own settings sync would
        // send to a client on its way out and report that as a failure.
        // Its requests stop here and now, not when the stop's turn comes:
        // the editor may ask for code actions in the same breath.
        void requests?.retire();
        void serialize(async () => {
          await stopClient();
          if (config().get<boolean>('enable', true)) {
            await startClient();
          } else {
            status.set({ kind: 'disabled' });
          }
        });
      } else if (e.affectsConfiguration('policyCheck')) {
        void serialize(notifySettings);
      }
    }),
  );

  if (config().get<boolean>('enable', true)) {
    void serialize(startClient);
  } else {
    status.set({ kind: 'disabled' });
  }
}

export function deactivate(): Thenable<void> | undefined {
  return serialize(stopClient);
}

async function notifySettings(): Promise<void> {
  const running = client;
  if (running?.state !== State.Running) {
    return;
  }
  try {
    await running.sendNotification(DidChangeConfigurationNotification.type, {
      settings: { policyCheck: serverSettings() },
    });
  } catch (err) {
    output.error(`Could not pass the changed settings on to the server: ${String(err)}`);
  }
}

async function startClient(): Promise<void> {
  const lookup: ServerLookup = findServer(
    extensionContext.extensionPath,
    config().get<string>('server.path', ''),
  );
  if (!lookup.found) {
    missingServer =
      `Policy Check: ${lookup.problem}. Set "${SERVER_PATH_SETTING}" to the binary, or ` +
      `install it with "cargo install --path crates/policy-lsp" from the policy-check repository.`;
    output.error(missingServer);
    status.set({ kind: 'missing', problem: lookup.problem });
    for (const document of vscode.workspace.textDocuments) {
      reportMissingServerFor(document);
    }
    return;
  }
  missingServer = undefined;
  output.info(`Starting ${SERVER_NAME} (${lookup.source}): ${lookup.path}`);
  status.set({ kind: 'starting' });

  const guard = new RequestGuard();
  requests = guard;
  const serverOptions: ServerOptions = { command: lookup.path, transport: TransportKind.stdio };
  const clientOptions: LanguageClientOptions = {
    // The server decides which documents hold key policies, so it sees them all.
    documentSelector: DOCUMENT_SELECTOR,
    initializationOptions: serverSettings(),
    synchronize: {
      // Settings are passed on by this extension (see notifySettings), not
      // through `configurationSection`.
      fileEvents: configWatcher,
    },
    outputChannel: output,
    // Hover, completion, symbols and code actions go through the guard, so
    // that a stop waits for those already sent and none is sent after it:
    // vscode-languageclient reports a request that meets a stopped
    // connection as a failure, in a notification.
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
        next(
          uri,
          diagnostics.filter((d) => d.severity <= cutoff),
        );
      },
      provideHover(document, position, token, next) {
        return spoken(document) ? guard.forward(() => next(document, position, token)) : undefined;
      },
      provideCompletionItem(document, position, context, token, next) {
        return spoken(document) ? guard.forward(() => next(document, position, context, token)) : undefined;
      },
      provideDocumentSymbols(document, token, next) {
        return spoken(document) ? guard.forward(() => next(document, token)) : undefined;
      },
      provideCodeActions(document, range, context, token, next) {
        return spoken(document) ? guard.forward(() => next(document, range, context, token)) : undefined;
      },
    },
  };

  const next = new LanguageClient(CLIENT_ID, CLIENT_NAME, serverOptions, clientOptions);
  next.onNotification('policyCheck/status', (params: ServerStatus) => {
    if (client === next) {
      status.set({ kind: 'running', version: params.version, source: lookup.source });
      // The workspace folder's config, until the active document's is known.
      status.setConfig({ config: params.config, configError: params.configError });
      void refreshConfigStatus();
    }
  });
  next.onDidChangeState((change) => {
    // A crash the client gives up on: say so rather than show a server
    // that is not there.
    if (client === next && change.newState === State.Stopped) {
      status.set({ kind: 'failed', problem: 'the server stopped; see the logs' });
    }
  });
  try {
    await next.start();
    client = next;
    const version = next.initializeResult?.serverInfo?.version ?? 'unknown version';
    output.info(`${SERVER_NAME} ${version} is running (${lookup.source}: ${lookup.path})`);
    status.set({ kind: 'running', version, source: lookup.source });
    void refreshConfigStatus();
  } catch (err) {
    // vscode-languageclient has already shown the failure and pointed at the
    // output channel; only make sure nothing is left running.
    output.error(`Failed to start ${lookup.path}: ${String(err)}`);
    status.set({ kind: 'failed', problem: String(err) });
    if (requests === guard) {
      requests = undefined;
    }
    await guard.retire();
    await next.dispose().catch(() => undefined);
  }
}

function spoken(document: vscode.TextDocument): boolean {
  return spokenFor.has(document.uri.toString());
}

async function stopClient(): Promise<void> {
  const current = client;
  const guard = requests;
  client = undefined;
  requests = undefined;
  // A new server publishes afresh.
  spokenFor.clear();
  status.set({ kind: 'stopped' });
  await guard?.retire();
  if (current) {
    await current.dispose().catch(() => undefined);
  }
}

/**
 * The requests one client sends on the editor's behalf. Once retired it sends
 * no more, and its retirement completes when those already sent are
 * answered (or after a second, for a server that does not answer).
 */
class RequestGuard {
  private inFlight = 0;
  private retirement: Promise<void> | undefined;
  private drained: (() => void) | undefined;

  async forward<T>(send: () => vscode.ProviderResult<T>): Promise<T | null | undefined> {
    if (this.retirement) {
      return undefined;
    }
    this.inFlight += 1;
    try {
      return await send();
    } finally {
      this.inFlight -= 1;
      if (this.inFlight === 0) {
        this.drained?.();
      }
    }
  }

  retire(): Promise<void> {
    this.retirement ??= new Promise<void>((resolve) => {
      if (this.inFlight === 0) {
        resolve();
        return;
      }
      const timer = setTimeout(resolve, 1000);
      this.drained = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    return this.retirement;
  }
}

/** Asks the server which config governs the active document. */
async function refreshConfigStatus(): Promise<void> {
  const running = client;
  const document = vscode.window.activeTextEditor?.document;
  if (!running || running.state !== State.Running || !document) {
    return;
  }
  if (document.uri.scheme !== 'file') {
    status.setConfig(undefined);
    return;
  }
  try {
    const found = await running.sendRequest<ConfigStatus>('policyCheck/configFor', {
      uri: document.uri.toString(),
    });
    if (client === running && vscode.window.activeTextEditor?.document === document) {
      status.setConfig(found);
    }
  } catch (err) {
    // A server from before the request existed: show no config rather than fail.
    output.warn(`policyCheck/configFor failed: ${String(err)}`);
  }
}

/**
 * Tells the user the server is missing, once a session, and only when the
 * document is one the server would report on: every JSON and YAML file
 * starts the extension, and a `package.json` is no reason to complain.
 */
function reportMissingServerFor(document: vscode.TextDocument): void {
  const message = missingServer;
  if (
    message === undefined ||
    toldMissingServer ||
    extensionContext.globalState.get<boolean>(MISSING_SERVER_SILENCED, false) ||
    !mayHoldKeyPolicy(document, config().get<string[]>('include', []))
  ) {
    return;
  }
  toldMissingServer = true;
  const open = 'Open Settings';
  const silence = "Don't Show Again";
  void vscode.window.showErrorMessage(message, open, silence).then((choice) => {
    if (choice === open) {
      void openServerPathSetting();
    } else if (choice === silence) {
      void extensionContext.globalState.update(MISSING_SERVER_SILENCED, true);
    }
  });
}

/**
 * Opens the settings editor on `policyCheck.server.path`. In a remote window
 * (SSH, containers, code-server) the setting is machine-specific: VS Code
 * lists it under the Remote tab only, so that is the tab to open.
 */
function openServerPathSetting(): Thenable<unknown> {
  const command = vscode.env.remoteName
    ? 'workbench.action.openRemoteSettings'
    : 'workbench.action.openSettings';
  return vscode.commands.executeCommand(command, { query: SERVER_PATH_SETTING });
}
