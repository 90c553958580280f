import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';

export const SERVER_NAME = 'policy-lsp';

/** Where a server binary came from, as the output channel reports it. */
export type ServerSource = 'setting' | 'bundled' | 'PATH' | '~/.cargo/bin';

export type ServerLookup =
  | { found: true; path: string; source: ServerSource }
  | { found: false; problem: string };

const EXE = process.platform === 'win32' ? '.exe' : '';

/**
 * Finds the server: the `policyCheck.server.path` setting, the binary bundled
 * in a platform-specific package, `PATH`, then `~/.cargo/bin` (where
 * `cargo install` puts it, and which a desktop-launched editor's `PATH` often
 * lacks).
 *
 * A setting that names no executable is reported rather than skipped: the
 * user asked for that binary, and silently running another would hide it.
 */
export function findServer(extensionPath: string, configured: string): ServerLookup {
  const setting = configured.trim();
  if (setting) {
    const resolved = resolveConfiguredPath(setting);
    return isExecutable(resolved)
      ? { found: true, path: resolved, source: 'setting' }
      : {
          found: false,
          problem: `"${setting}" (from policyCheck.server.path) is not an executable file`,
        };
  }
  const bundled = path.join(extensionPath, 'bundled', SERVER_NAME + EXE);
  if (isExecutable(bundled) || makeExecutable(bundled)) {
    return { found: true, path: bundled, source: 'bundled' };
  }
  const onPath = findOnPath(SERVER_NAME);
  if (onPath) {
    return { found: true, path: onPath, source: 'PATH' };
  }
  const cargo = path.join(
    process.env.CARGO_HOME || path.join(os.homedir(), '.cargo'),
    'bin',
    SERVER_NAME + EXE,
  );
  if (isExecutable(cargo)) {
    return { found: true, path: cargo, source: '~/.cargo/bin' };
  }
  return {
    found: false,
    problem:
      `"${SERVER_NAME}" was not found: this package bundles no server for ` +
      `${process.platform}-${process.arch}, and it is neither on PATH nor in ~/.cargo/bin`,
  };
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
      if (isExecutable(candidate)) {
        return candidate;
      }
    }
  }
  return undefined;
}

/**
 * An installer that unpacks the package without file modes leaves the
 * bundled binary unexecutable; it is ours, so it may be fixed.
 */
function makeExecutable(p: string): boolean {
  if (process.platform === 'win32' || !fs.existsSync(p)) {
    return false;
  }
  try {
    fs.chmodSync(p, 0o755);
  } catch {
    return false;
  }
  return isExecutable(p);
}

function isExecutable(p: string): boolean {
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
