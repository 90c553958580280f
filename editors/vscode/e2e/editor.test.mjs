// The extension as a user meets it: a package installed into code-server, a
// folder with a defective key policy and a package.json, and headless
// Chromium at the keyboard. There is no policyCheck.server.path setting, no
// policy-lsp on PATH and a fresh HOME (no ~/.cargo/bin).
//
// - The platform package: the server that answers is the one it carries.
// - The package for every platform, which carries none: the missing server
//   is reported once, for a policy and not for package.json, and its "Open
//   Settings" lands on the setting; a server put in ~/.cargo/bin then runs.
//
// Run through run.sh, which installs what this needs and sets E2E_VSIX,
// E2E_VSIX_UNIVERSAL, E2E_CODE_SERVER, E2E_CHROMIUM and E2E_SCREENSHOTS.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { chromium } from 'playwright-core';

const VSIX = required('E2E_VSIX');
const VSIX_UNIVERSAL = required('E2E_VSIX_UNIVERSAL');
const CODE_SERVER = required('E2E_CODE_SERVER');
const CHROMIUM = required('E2E_CHROMIUM');
const SCREENSHOTS = required('E2E_SCREENSHOTS');
// Long enough for a loaded two-core machine; every wait is bounded.
const WAIT = 30_000;

const POLICY = `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "EnableRootAccess",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
      "Action": "kms:*",
      "Resource": "*",
    },
    {
      "Sid": "AllowAppRole",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111122223333:role/App"},
      "Action": [
        "kms:Decrpyt"
      ],
      "Resource": "*"
    }
  ]
}
`;
// Where the defects are, 1-based as the editor shows them.
const TRAILING_COMMA = { line: 9, column: 22 };
const MISSPELLED = { line: 16, column: 9 };

// A second policy, to complete in.
const APP_POLICY = `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "AllowAppRole",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111122223333:role/App"},
      "Action": [
        "kms:Decrypt"
      ],
      "Resource": "*"
    }
  ]
}
`;
const APP_ACTION_LINE = 8;

const PACKAGE_JSON = `{
  "name": "app",
  "version": "1.0.0",
  "private": true,
  "scripts": { "test": "node --test" }
}
`;

function required(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: run this test through e2e/run.sh`);
  }
  return value;
}

// One editor session at a time: its folders, code-server and the page.
let work;
let folder;
let policyFile;
let appPolicyFile;
let userData;
let home;
let codeServer;
let codeServerLog = '';
let browser;
let page;
let sessionName = '';
let shots = 0;

async function shot(name) {
  shots += 1;
  const file = path.join(
    SCREENSHOTS,
    `${String(shots).padStart(2, '0')}-${sessionName}-${name}.png`,
  );
  await page.screenshot({ path: file });
}

/** A PATH without any policy-lsp on it, with node (code-server runs on it). */
function pathWithoutServer() {
  const dirs = [
    path.dirname(process.execPath),
    '/usr/local/sbin',
    '/usr/local/bin',
    '/usr/sbin',
    '/usr/bin',
    '/sbin',
    '/bin',
  ];
  return [...new Set(dirs)]
    .filter((dir) => !fs.existsSync(path.join(dir, 'policy-lsp')))
    .join(path.delimiter);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function waitForHttp(url) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (codeServer.exitCode !== null) {
      throw new Error(`code-server exited (${codeServer.exitCode}):\n${codeServerLog}`);
    }
    try {
      const response = await fetch(url);
      if (response.ok) {
        return;
      }
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`code-server did not answer at ${url}:\n${codeServerLog}`);
}

// --- driving the editor --------------------------------------------------------

async function runCommand(title) {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: WAIT });
  await input.fill(`>${title}`);
  const row = page
    .locator('.quick-input-list .monaco-list-row')
    .filter({ hasText: title })
    .first();
  await row.waitFor({ state: 'visible', timeout: WAIT });
  await page.keyboard.press('Enter');
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: WAIT });
}

/** A file's label with exactly this name (`key-policy.json`, not `app-key-policy.json`). */
function named(name) {
  const exact = new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  return page.locator('.label-name', { hasText: exact });
}

/** Opens a file of the folder from the Explorer. */
async function openFile(name) {
  const row = page.locator('.explorer-folders-view .monaco-list-row').filter({ has: named(name) });
  await row.click();
  await page
    .locator('.tabs-container .tab.active')
    .filter({ has: named(name) })
    .waitFor({ state: 'visible', timeout: WAIT });
  await page.locator('.editor-group-container.active .monaco-editor textarea').first().focus();
}

/** Moves the cursor through Quick Open's go-to-line mode (`:line:column`). */
async function goTo(line, column) {
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: WAIT });
  await input.fill(`:${line}:${column}`);
  await page.keyboard.press('Enter');
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: WAIT });
}

/** Saves the active editor and returns the text that reached `file`. */
async function save(file) {
  const before = fs.statSync(file).mtimeMs;
  await page.keyboard.press('Control+S');
  const deadline = Date.now() + WAIT;
  // Written once the file is newer and reads the same twice over.
  while (Date.now() < deadline) {
    if (fs.statSync(file).mtimeMs !== before) {
      const first = fs.readFileSync(file, 'utf8');
      await page.waitForTimeout(300);
      const second = fs.readFileSync(file, 'utf8');
      if (first === second && first.length > 0) {
        return first;
      }
    }
    await page.waitForTimeout(100);
  }
  assert.fail(`${file} was not saved`);
}

/** The rows of the Problems panel: `{ file, text }`, one per finding. */
async function problems() {
  await runCommand('Problems: Focus on Problems View');
  const tree = page.locator('.markers-panel');
  await tree.waitFor({ state: 'visible', timeout: WAIT });
  return tree.locator('.monaco-list-row').evaluateAll((rows) => {
    const out = [];
    let file = '';
    for (const row of rows) {
      const text = row.innerText.replace(/\s+/g, ' ').trim();
      if (row.querySelector('.marker-icon, .marker-message-details')) {
        out.push({ file, text });
      } else {
        file = text;
      }
    }
    return out;
  });
}

async function waitForProblems(accept, what) {
  const deadline = Date.now() + WAIT;
  let last = [];
  while (Date.now() < deadline) {
    last = await problems();
    if (accept(last)) {
      return last;
    }
    await page.waitForTimeout(500);
  }
  assert.fail(`${what}; the Problems panel shows ${JSON.stringify(last, null, 2)}`);
}

/** The texts of the notification toasts on screen. */
async function toasts() {
  return page
    .locator('.notifications-toasts .notification-toast')
    .evaluateAll((nodes) => nodes.map((n) => n.innerText.replace(/\s+/g, ' ').trim()));
}

/**
 * Opens the Policy Check output channel as a user would and returns its
 * whole text, read from the file VS Code logs it to (the view wraps lines
 * and renders only what is on screen).
 */
async function logs() {
  await runCommand('Policy Check: Show Logs');
  const view = page.locator('.part.panel .view-lines').first();
  await view.waitFor({ state: 'visible', timeout: WAIT });
  await page
    .locator('.part.panel .view-lines')
    .filter({ hasText: 'Starting policy-lsp' })
    .first()
    .waitFor({ state: 'visible', timeout: WAIT });
  return logFile();
}

/** The text of the Policy Check output channel, '' before it has one. */
function logFileText() {
  const files = fs
    .readdirSync(path.join(userData, 'logs'), { recursive: true })
    .filter((f) => f.endsWith('Policy Check.log'));
  return files.length === 1 ? fs.readFileSync(path.join(userData, 'logs', files[0]), 'utf8') : '';
}

/** The text of the Policy Check output channel, from its log file. */
function logFile() {
  const files = fs
    .readdirSync(path.join(userData, 'logs'), { recursive: true })
    .filter((f) => f.endsWith('Policy Check.log'));
  assert.equal(files.length, 1, `one log file for the channel: ${files}`);
  return fs.readFileSync(path.join(userData, 'logs', files[0]), 'utf8');
}

/** The hover of the Policy Check language status item, for the active editor. */
async function languageStatus(expected) {
  const deadline = Date.now() + WAIT;
  let text = '';
  while (Date.now() < deadline) {
    await page.mouse.move(5, 5);
    await page.locator('#status\\.languageStatus').hover();
    const hover = page.locator('.monaco-hover').filter({ hasText: 'policy-lsp' }).first();
    await hover.waitFor({ state: 'visible', timeout: WAIT });
    text = (await hover.innerText()).replace(/\s+/g, ' ');
    if (expected.test(text)) {
      return text;
    }
    await page.waitForTimeout(500);
  }
  assert.fail(`the language status item says ${JSON.stringify(text)}, not ${expected}`);
}

/** Which tab of the settings editor is selected: User, Remote or Workspace. */
async function settingsTab() {
  const tab = page.locator('.settings-editor .settings-tabs-widget .action-item .action-label.checked');
  await tab.first().waitFor({ state: 'visible', timeout: WAIT });
  return (await tab.first().innerText()).trim();
}

/** Waits for the settings editor to show `policyCheck.server.path`, on the tab that can set it. */
async function serverPathSettingShown() {
  const setting = page
    .locator('.settings-editor .setting-item-contents')
    .filter({ hasText: 'Server: Path' })
    .first();
  await setting.waitFor({ state: 'visible', timeout: WAIT });
  assert.equal(await page.locator('.settings-editor .no-results-message:visible').count(), 0);
  // code-server is a remote window: the machine-specific setting lives on
  // the Remote tab (the User tab says "No Settings Found").
  assert.match(await settingsTab(), /^Remote\b/);
}

/**
 * A test step that leaves a screenshot of the screen it failed on, and
 * closes what it left open (a widget, the settings editor) so that the
 * next step starts from the editor.
 */
function step(name, body) {
  test(name, async () => {
    try {
      await body();
    } catch (err) {
      await shot(`failed-${name.replace(/\W+/g, '-').slice(0, 40)}`).catch(() => undefined);
      await recover().catch(() => undefined);
      throw err;
    }
  });
}

async function recover() {
  await page.keyboard.press('Escape');
  await page.keyboard.press('Escape');
  const settings = page.locator('.tabs-container .tab', { hasText: 'Settings' });
  while ((await settings.count()) > 0) {
    await settings.first().locator('.tab-actions .codicon-close').click();
  }
}

// --- the sessions ---------------------------------------------------------------

/** A fresh folder, user data and HOME, `vsix` installed, code-server and a page on it. */
async function startEditor(name, vsix) {
  sessionName = name;
  work = fs.mkdtempSync(path.join(os.tmpdir(), `policy-check-e2e-${name}-`));
  folder = path.join(work, 'workspace');
  policyFile = path.join(folder, 'key-policy.json');
  appPolicyFile = path.join(folder, 'app-key-policy.json');
  userData = path.join(work, 'user-data');
  home = path.join(work, 'home');
  const extensions = path.join(work, 'extensions');
  codeServerLog = '';

  fs.mkdirSync(folder, { recursive: true });
  fs.mkdirSync(home, { recursive: true });
  fs.writeFileSync(policyFile, POLICY);
  fs.writeFileSync(appPolicyFile, APP_POLICY);
  fs.writeFileSync(path.join(folder, 'package.json'), PACKAGE_JSON);
  fs.mkdirSync(path.join(userData, 'User'), { recursive: true });
  fs.writeFileSync(
    path.join(userData, 'User', 'settings.json'),
    JSON.stringify(
      {
        'workbench.startupEditor': 'none',
        'workbench.tips.enabled': false,
        'workbench.enableExperiments': false,
        'security.workspace.trust.enabled': false,
        'extensions.autoUpdate': false,
        'extensions.autoCheckUpdates': false,
        'extensions.ignoreRecommendations': true,
        'telemetry.telemetryLevel': 'off',
        'update.mode': 'none',
        'editor.minimap.enabled': false,
        // Each file the test opens stays open: a preview tab would close
        // the policy (and so clear its findings) when package.json opens.
        'workbench.editor.enablePreview': false,
        'chat.commandCenter.enabled': false,
        'workbench.secondarySideBar.defaultVisibility': 'hidden',
        // The machine has no network: VS Code's JSON support would report
        // every schema it cannot download (package.json's).
        'json.schemaDownload.enable': false,
      },
      null,
      2,
    ),
  );
  const env = {
    ...process.env,
    HOME: home,
    PATH: pathWithoutServer(),
    XDG_CONFIG_HOME: path.join(work, 'config'),
    XDG_DATA_HOME: path.join(work, 'data'),
  };
  delete env.CARGO_HOME;
  const dirs = ['--user-data-dir', userData, '--extensions-dir', extensions];
  const install = spawnSync(CODE_SERVER, [...dirs, '--install-extension', vsix], {
    env,
    encoding: 'utf8',
  });
  assert.equal(install.status, 0, `installing ${vsix}:\n${install.stdout}${install.stderr}`);

  const port = await freePort();
  codeServer = spawn(
    CODE_SERVER,
    [
      ...dirs,
      '--auth',
      'none',
      '--bind-addr',
      `127.0.0.1:${port}`,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      '--ignore-last-opened',
      folder,
    ],
    { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  codeServer.stdout.on('data', (d) => (codeServerLog += d));
  codeServer.stderr.on('data', (d) => (codeServerLog += d));
  await waitForHttp(`http://127.0.0.1:${port}/healthz`);

  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      // The machine has no network beyond loopback.
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(folder)}`);
  await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 60_000 });
  await page
    .locator('.explorer-folders-view .monaco-list-row')
    .filter({ has: named('key-policy.json') })
    .waitFor({ state: 'visible', timeout: 60_000 });
  await shot('workbench');
}

async function stopEditor() {
  if (page) {
    await shot('end').catch(() => undefined);
  }
  await browser?.close().catch(() => undefined);
  browser = undefined;
  page = undefined;
  if (codeServer?.exitCode === null) {
    // The whole group: code-server and the extension host it started.
    const exited = new Promise((resolve) => codeServer.once('exit', resolve));
    try {
      process.kill(-codeServer.pid, 'SIGTERM');
    } catch {
      codeServer.kill('SIGTERM');
    }
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
  }
  codeServer = undefined;
  fs.rmSync(work, { recursive: true, force: true });
}

describe('the platform package, with no setting and nothing on PATH', { timeout: 5 * 60_000 }, () => {
  before(() => startEditor('platform', VSIX));
  after(stopEditor);

  step('a defective policy gets its squiggle, code and message on the right line', async () => {
    await openFile('key-policy.json');
    const rows = await waitForProblems(
      (rows) => rows.some((r) => r.text.includes('PC201')),
      'PC201 is reported for kms:Decrpyt',
    );
    await shot('problems');
    const misspelled = rows.find((r) => r.text.includes('PC201'));
    assert.equal(misspelled.file.startsWith('key-policy.json'), true, JSON.stringify(misspelled));
    assert.match(misspelled.text, /`kms:Decrpyt` .* is not a KMS action/);
    // The panel shows `policy-check(PC201)`, its parentheses drawn by CSS.
    assert.match(misspelled.text, /policy-check\W*PC201/);
    assert.match(misspelled.text, new RegExp(`\\[Ln ${MISSPELLED.line}, Col ${MISSPELLED.column}\\]`));
    const comma = rows.find((r) => r.text.includes('PC004'));
    assert.ok(comma, `the trailing comma is reported: ${JSON.stringify(rows)}`);
    assert.match(comma.text, new RegExp(`\\[Ln ${TRAILING_COMMA.line}, Col ${TRAILING_COMMA.column}\\]`));

    // The squiggle itself: an error decoration on the line holding the typo.
    const editor = page.locator('.editor-group-container.active .monaco-editor').first();
    const line = editor.locator('.view-line').filter({ hasText: 'kms:Decrpyt' });
    const lineTop = await line.evaluate((e) => e.style.top);
    const squiggleTops = await editor
      .locator('.view-overlays .squiggly-error')
      .evaluateAll((nodes) => nodes.map((n) => n.parentElement.style.top));
    assert.ok(
      squiggleTops.includes(lineTop),
      `an error squiggle at top ${lineTop}; squiggles at ${squiggleTops}`,
    );

    // Hovering it shows the finding.
    const squiggle = editor
      .locator('.view-overlays .squiggly-error')
      .nth(squiggleTops.indexOf(lineTop));
    const box = await squiggle.boundingBox();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    const hover = page.locator('.monaco-hover').filter({ hasText: 'PC201' }).first();
    await hover.waitFor({ state: 'visible', timeout: WAIT });
    assert.match(await hover.innerText(), /is not a KMS action/);
    await shot('hover');
    await page.mouse.move(5, 5);
  });

  step('the status item and the logs name the bundled server', async () => {
    await openFile('key-policy.json');
    const status = await languageStatus(/policy-lsp \d+\.\d+\.\d+ \(bundled\)/);
    await shot('language-status');
    assert.match(status, /no policy-check\.toml/);
    await page.mouse.move(5, 5);

    const text = await logs();
    await shot('logs');
    assert.match(text, /Starting policy-lsp \(bundled\): \S*extensions\S*bundled\/policy-lsp/);
    assert.doesNotMatch(text, /\[error\]/i);
  });

  step('package.json in the same folder gets no finding and no error', async () => {
    await openFile('package.json');
    // Time for the server to answer, had it anything to say (it answers the
    // policy in well under a second).
    await page.waitForTimeout(3000);
    const rows = await problems();
    await shot('package-json');
    const ours = rows.filter((r) => r.file.startsWith('package.json') && /policy-check/.test(r.text));
    assert.deepEqual(ours, [], 'no policy-check finding for package.json');
    assert.ok(
      rows.some((r) => r.file.startsWith('key-policy.json') && /PC201/.test(r.text)),
      `the policy next to it still has its findings: ${JSON.stringify(rows)}`,
    );
    assert.deepEqual(await toasts(), [], 'no notification');
  });

  step('the quick fixes apply and leave valid JSON', async () => {
    await openFile('key-policy.json');
    for (const [at, title] of [
      [MISSPELLED, 'kms:Decrypt'],
      [TRAILING_COMMA, 'Delete the trailing comma'],
    ]) {
      await goTo(at.line, at.column + 1);
      await page.keyboard.press('Control+.');
      const action = page.locator('.action-widget .monaco-list-row').filter({ hasText: title }).first();
      await action.waitFor({ state: 'visible', timeout: WAIT });
      await shot(`quick-fix-${title.replace(/\W+/g, '-')}`);
      // By keyboard, as the widget is meant to be used (its pointer block
      // swallows a synthetic click): down to the fix, then Enter.
      const rows = await page.locator('.action-widget .monaco-list-row.action').count();
      for (let i = 0; i <= rows && !(await action.evaluate((e) => e.classList.contains('focused'))); i++) {
        await page.keyboard.press('ArrowDown');
      }
      assert.ok(
        await action.evaluate((e) => e.classList.contains('focused')),
        `the fix "${title}" could be reached with the arrow keys`,
      );
      await page.keyboard.press('Enter');
      await page.locator('.action-widget').waitFor({ state: 'hidden', timeout: WAIT });
    }
    const text = await save(policyFile);
    const policy = JSON.parse(text);
    assert.deepEqual(policy.Statement[1].Action, ['kms:Decrypt']);
    assert.equal(policy.Statement[0].Resource, '*');
    await waitForProblems(
      (rows) => !rows.some((r) => r.file.startsWith('key-policy.json')),
      'the fixed policy has no findings left',
    );
    await shot('fixed');
  });

  step('a completion before another action leaves valid JSON', async () => {
    await openFile('app-key-policy.json');
    // On a new line between `"Action": [` and `"kms:Decrypt"`.
    await goTo(APP_ACTION_LINE, 100);
    await page.keyboard.press('End');
    await page.keyboard.press('Enter');
    await page.keyboard.type('"kms:Encr', { delay: 60 });
    const item = page
      .locator('.suggest-widget .monaco-list-row')
      .filter({ hasText: 'kms:Encrypt' })
      .first();
    await item.waitFor({ state: 'visible', timeout: WAIT });
    await shot('completion');
    await page.keyboard.press('Enter');
    const text = await save(appPolicyFile);
    let policy;
    assert.doesNotThrow(() => (policy = JSON.parse(text)), `valid JSON:\n${text}`);
    assert.deepEqual(policy.Statement[0].Action, ['kms:Encrypt', 'kms:Decrypt']);
  });

  step('policy-check.toml applies, and the status item names it and its errors', async () => {
    await openFile('app-key-policy.json');
    // The policy gives the account root no kms:PutKeyPolicy: PC504.
    await waitForProblems(
      (rows) => rows.some((r) => r.file.startsWith('app-key-policy.json') && /PC504/.test(r.text)),
      'PC504 is reported for app-key-policy.json before any config',
    );
    const config = path.join(folder, 'policy-check.toml');
    // The CLI's syntax: a rule by name.
    fs.writeFileSync(config, '[rules]\nignore = ["PC504"]\n');
    await waitForProblems(
      (rows) => !rows.some((r) => /PC504/.test(r.text)),
      'the config turns PC504 off',
    );
    await languageStatus(/config: policy-check\.toml/);
    await shot('config-in-use');

    // An edit that breaks it: the status item says where, and the last
    // good version still applies.
    fs.writeFileSync(config, '[rules\nignore = ["PC504"]\n');
    const status = await languageStatus(/policy-check\.toml: line 1: unclosed table/);
    await shot('config-error');
    assert.match(status, /policy-lsp \d+\.\d+\.\d+ \(bundled\)/);
    const rows = await problems();
    assert.ok(!rows.some((r) => /PC504/.test(r.text)), `still off: ${JSON.stringify(rows)}`);
    // The server shows the error once.
    await page
      .locator('.notifications-toasts .notification-toast')
      .filter({ hasText: 'unclosed table' })
      .first()
      .waitFor({ state: 'visible', timeout: WAIT });
    await runCommand('Notifications: Clear All Notifications');
    fs.rmSync(config);
    await waitForProblems(
      (rows) => rows.some((r) => /PC504/.test(r.text)),
      'PC504 is back once the config is gone',
    );
    await languageStatus(/no policy-check\.toml/);
  });

  step('the server path setting opens where it can be set', async () => {
    await runCommand('Policy Check: Open Server Path Setting');
    await serverPathSettingShown();
    await shot('server-path-setting');
    await page.keyboard.press('Control+W');
  });

  step('turning the extension off shows no error', async () => {
    await runCommand('Preferences: Open User Settings');
    const search = page.locator('.settings-editor .settings-header .monaco-editor textarea').first();
    await search.waitFor({ state: 'attached', timeout: WAIT });
    await search.focus();
    await page.keyboard.press('Control+A');
    await page.keyboard.type('policyCheck.enable');
    const setting = page
      .locator('.settings-editor .setting-item-bool')
      .filter({ hasText: 'Policy Check: Enable' })
      .first();
    await setting.waitFor({ state: 'visible', timeout: WAIT });
    await setting.locator('.setting-value-checkbox').click();
    // The editor writes settings.json by truncating it first, so a read can
    // fall between the two; such a read counts as "not written yet".
    const settings = () => {
      try {
        return JSON.parse(fs.readFileSync(path.join(userData, 'User', 'settings.json'), 'utf8'));
      } catch {
        return {};
      }
    };
    const deadline = Date.now() + WAIT;
    while (settings()['policyCheck.enable'] !== false && Date.now() < deadline) {
      await page.waitForTimeout(100);
    }
    assert.equal(settings()['policyCheck.enable'], false, 'the setting was turned off');
    await page.keyboard.press('Control+W');
    // The server is gone once the status item says so; the old failure
    // came right away, and a second more is given to any other.
    await openFile('key-policy.json');
    await languageStatus(/policy-lsp: disabled/);
    await page.mouse.move(5, 5);
    await page.waitForTimeout(1000);
    await shot('disabled');
    const shown = await toasts();
    assert.deepEqual(
      shown.filter((t) => /fail|error|policy/i.test(t)),
      [],
      `no error notification: ${JSON.stringify(shown)}`,
    );

    const text = await logs();
    await shot('logs-after-disable');
    assert.doesNotMatch(text, /\[error\]/i);
    assert.doesNotMatch(text, /exited with code/);
  });
});

describe('the package without a server, with nothing on PATH', { timeout: 5 * 60_000 }, () => {
  before(() => startEditor('no-server', VSIX_UNIVERSAL));
  after(stopEditor);

  step('package.json opens with no message that the server is missing', async () => {
    await openFile('package.json');
    // The extension did look: its log says the server is missing.
    const deadline = Date.now() + WAIT;
    let log = '';
    while (!/"policy-lsp" was not found/.test(log) && Date.now() < deadline) {
      await page.waitForTimeout(250);
      log = fs.existsSync(path.join(userData, 'logs')) ? logFileText() : '';
    }
    assert.match(log, /"policy-lsp" was not found/);
    await page.waitForTimeout(2000);
    await shot('package-json');
    assert.deepEqual(await toasts(), [], 'no notification');
  });

  step('a policy says once that the server is missing; Open Settings lands on the setting', async () => {
    await openFile('key-policy.json');
    const toast = page
      .locator('.notifications-toasts .notification-toast')
      .filter({ hasText: 'was not found' })
      .first();
    await toast.waitFor({ state: 'visible', timeout: WAIT });
    await shot('missing-server');
    const text = await toast.innerText();
    assert.match(text, /policyCheck\.server\.path/);
    const buttons = await toast.locator('.monaco-button').allInnerTexts();
    assert.deepEqual(buttons.map((b) => b.trim()), ['Open Settings', "Don't Show Again"]);
    await toast.locator('.monaco-button', { hasText: 'Open Settings' }).click();
    await serverPathSettingShown();
    await shot('open-settings');
    await page.keyboard.press('Control+W');

    await openFile('key-policy.json');
    await languageStatus(/policy-lsp: not found/);
    // Once a session: another policy brings no second message.
    await openFile('app-key-policy.json');
    await page.waitForTimeout(2000);
    assert.deepEqual(
      (await toasts()).filter((t) => /was not found/.test(t)),
      [],
      'no second message',
    );
  });

  step('a server in ~/.cargo/bin is found after a restart', async () => {
    // The same server, unpacked from the platform package.
    const unpacked = path.join(work, 'unpacked');
    const unzip = spawnSync('python3', ['-m', 'zipfile', '-e', VSIX, unpacked], { encoding: 'utf8' });
    assert.equal(unzip.status, 0, unzip.stderr);
    const cargoBin = path.join(home, '.cargo', 'bin');
    fs.mkdirSync(cargoBin, { recursive: true });
    fs.copyFileSync(path.join(unpacked, 'extension', 'bundled', 'policy-lsp'), path.join(cargoBin, 'policy-lsp'));
    fs.chmodSync(path.join(cargoBin, 'policy-lsp'), 0o755);

    await runCommand('Policy Check: Restart Server');
    await openFile('key-policy.json');
    await waitForProblems(
      (rows) => rows.some((r) => r.file.startsWith('key-policy.json') && /PC201/.test(r.text)),
      'the server from ~/.cargo/bin reports PC201',
    );
    await languageStatus(/policy-lsp \d+\.\d+\.\d+ \(~\/\.cargo\/bin\)/);
    await shot('cargo-bin');
    assert.match(logFile(), /Starting policy-lsp \(~\/\.cargo\/bin\): \S*\/home\/\.cargo\/bin\/policy-lsp/);
  });
});
