import * as path from 'path';
import * as vscode from 'vscode';

/**
 * Whether a document is one the server would report on: a JSON policy, a
 * CloudFormation template with a key, a Terraform file with a key or a
 * policy document, a template file holding a policy, or a file the
 * `policyCheck.include` setting names.
 *
 * A cheap look at the text, not the server's judgement: it only decides
 * whether a missing server is worth telling the user about, so that opening
 * a `package.json` never does.
 */
export function mayHoldKeyPolicy(document: vscode.TextDocument, include: string[]): boolean {
  if (document.uri.scheme !== 'file' && document.uri.scheme !== 'untitled') {
    return false;
  }
  if (includedBySetting(document, include)) {
    return true;
  }
  const text = document.getText();
  const name = path.basename(document.uri.path).toLowerCase();
  const terraform =
    document.languageId === 'terraform' ||
    document.languageId === 'terraform-vars' ||
    /\.(tf|tf\.json|tfvars)$/.test(name);
  if (terraform) {
    return /\baws_kms_(key|replica_key)\b|\baws_iam_policy_document\b/.test(text);
  }
  if (/AWS::KMS::(Key|ReplicaKey)\b/.test(text)) {
    return true;
  }
  const jsonLike =
    document.languageId === 'json' ||
    document.languageId === 'jsonc' ||
    /\.(json|tpl|tftpl)$/.test(name);
  return jsonLike && /"Statement"\s*:/.test(text);
}

function includedBySetting(document: vscode.TextDocument, include: string[]): boolean {
  const folders = vscode.workspace.workspaceFolders ?? [];
  return include.some((glob) => {
    if (vscode.languages.match({ pattern: glob }, document) > 0) {
      return true;
    }
    return folders.some(
      (folder) =>
        vscode.languages.match({ pattern: new vscode.RelativePattern(folder, glob) }, document) >
        0,
    );
  });
}
