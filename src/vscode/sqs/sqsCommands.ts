// Connect SQS queue (a guided flow: queue URL, region, AWS profile, endpoint for emulators, with
// validation; then a connection test) and Test SQS connection (GetQueueAttributes with a clear
// result or the error and its fix).
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import * as vscode from "vscode";
import { AtlError } from "../../shared/errors";
import type { Logger } from "../../shared/log";
import { cancelled, registerCommand } from "../commands";
import { queueName, type PollingController } from "../polling";
import { regionFromQueueUrl, type AtlSettings, type SqsSettings } from "../settings";
import { describeQueue, type QueueDescription, type SqsModuleLoader } from "./sqsPoller";

const QUEUE_URL = /^https?:\/\/\S+\/\d{12}\/[A-Za-z0-9_-]{1,80}(\.fifo)?$/;
const REGION = /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/;
const HTTP_URL = /^https?:\/\/\S+$/;

export interface SqsCommandDeps {
  settings: AtlSettings;
  logger: Logger;
  polling: PollingController;
  loadSqs: SqsModuleLoader;
}

/** Profile names in ~/.aws/config and ~/.aws/credentials (or AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE). */
export async function awsProfiles(env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  const files = [env.AWS_CONFIG_FILE ?? join(homedir(), ".aws", "config"), env.AWS_SHARED_CREDENTIALS_FILE ?? join(homedir(), ".aws", "credentials")];
  const names = new Set<string>();
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch {
      continue;
    }
    for (const match of text.matchAll(/^\s*\[\s*(?:profile\s+)?([^\]\s]+)\s*\]/gm)) {
      if (match[1] && !match[1].startsWith("sso-session")) {
        names.add(match[1]);
      }
    }
  }
  return [...names].sort();
}

function isAwsHost(queueUrl: string): boolean {
  try {
    const host = new URL(queueUrl).hostname;
    return host.endsWith(".amazonaws.com") || host.endsWith(".amazonaws.com.cn") || host.endsWith(".api.aws");
  } catch {
    return false;
  }
}

export async function configureSqs(deps: SqsCommandDeps): Promise<QueueDescription | undefined> {
  const title = vscode.l10n.t("Connect SQS queue");
  const current = deps.settings.current.sqs;
  const step = (n: number, of: number) => `${title} (${n}/${of})`;

  const queueUrl = await vscode.window.showInputBox({
    title: step(1, 4),
    prompt: vscode.l10n.t("URL of the SQS queue subscribed to your CloudWatch alarm topic (SQS console → queue → URL)."),
    placeHolder: "https://sqs.ap-northeast-2.amazonaws.com/123456789012/atl-alarms",
    value: current.queueUrl ?? "",
    ignoreFocusOut: true,
    validateInput: (v) => (QUEUE_URL.test(v.trim()) ? undefined : vscode.l10n.t("An SQS queue URL: https://sqs.REGION.amazonaws.com/ACCOUNT_ID/QUEUE_NAME")),
  });
  if (queueUrl === undefined) {
    throw cancelled();
  }
  const url = queueUrl.trim();

  const derived = regionFromQueueUrl(url);
  const region = await vscode.window.showInputBox({
    title: step(2, 4),
    prompt: derived
      ? vscode.l10n.t("Region of the queue (taken from the URL; change it only if that is wrong).")
      : vscode.l10n.t("Region code of the queue, e.g. ap-northeast-2 (not the display name)."),
    value: current.region ?? derived ?? "",
    ignoreFocusOut: true,
    validateInput: (v) => (v.trim() === "" || REGION.test(v.trim()) ? undefined : vscode.l10n.t("A region code such as ap-northeast-2.")),
  });
  if (region === undefined) {
    throw cancelled();
  }

  const profiles = await awsProfiles();
  const defaultChain = vscode.l10n.t("Default credential chain");
  const other = vscode.l10n.t("Another profile…");
  const picked = await vscode.window.showQuickPick(
    [
      { label: defaultChain, description: vscode.l10n.t("environment, ~/.aws default profile, SSO, instance role"), value: "" },
      ...profiles.map((p) => ({ label: p, description: p === current.profile ? vscode.l10n.t("current") : "", value: p })),
      { label: other, description: "", value: "\u0000other" },
    ],
    { title: step(3, 4), placeHolder: vscode.l10n.t("AWS credentials for SQS"), ignoreFocusOut: true },
  );
  if (!picked) {
    throw cancelled();
  }
  let profile = picked.value;
  if (profile === "\u0000other") {
    const typed = await vscode.window.showInputBox({
      title: step(3, 4),
      prompt: vscode.l10n.t("AWS profile name"),
      ignoreFocusOut: true,
      validateInput: (v) => (/^[A-Za-z0-9_.+=,@-]{1,64}$/.test(v.trim()) ? undefined : vscode.l10n.t("A profile name from ~/.aws/config.")),
    });
    if (typed === undefined) {
      throw cancelled();
    }
    profile = typed.trim();
  }

  let endpoint = "";
  if (!isAwsHost(url)) {
    const typed = await vscode.window.showInputBox({
      title: step(4, 4),
      prompt: vscode.l10n.t("This queue URL is not on AWS. Endpoint of the SQS emulator (fauxqs, LocalStack), or empty to use the URL's host."),
      placeHolder: "http://127.0.0.1:4566",
      value: current.endpoint ?? new URL(url).origin,
      ignoreFocusOut: true,
      validateInput: (v) => (v.trim() === "" || HTTP_URL.test(v.trim()) ? undefined : vscode.l10n.t("An http(s) URL such as http://127.0.0.1:4566.")),
    });
    if (typed === undefined) {
      throw cancelled();
    }
    endpoint = typed.trim();
  }

  // The queue URL last: polling starts (or restarts) with the other settings already in place,
  // instead of starting a long poll that the next write would abort.
  await deps.settings.update("sqs.region", region.trim() === derived ? "" : region.trim());
  await deps.settings.update("aws.profile", profile);
  await deps.settings.update("sqs.endpoint", endpoint);
  await deps.settings.update("sqs.queueUrl", url);
  deps.logger.info(`SQS queue set to ${url}${profile ? ` (profile ${profile})` : ""}${endpoint ? ` via ${endpoint}` : ""}.`);
  return testSqsConnection(deps);
}

/** GetQueueAttributes on the configured queue: proves credentials, region and permissions. */
export async function testSqsConnection(deps: SqsCommandDeps): Promise<QueueDescription> {
  const sqs = deps.settings.current.sqs;
  if (!sqs.queueUrl) {
    throw new AtlError("config", vscode.l10n.t("No SQS queue is configured."), { fix: vscode.l10n.t("Run ATL: Connect SQS queue.") });
  }
  const configured: SqsSettings & { queueUrl: string } = { ...sqs, queueUrl: sqs.queueUrl };
  const description = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t("Testing the connection to {0}…", queueName(sqs.queueUrl)) },
    () => describeQueue(configured, deps.loadSqs),
  );
  const summary = vscode.l10n.t(
    "Connected to {0} ({1}): {2} message(s) waiting, {3} in flight. Mode: {4}.",
    queueName(sqs.queueUrl),
    description.region,
    description.visibleMessages,
    description.inFlightMessages,
    sqs.mode,
  );
  deps.logger.info(summary);
  const actions: string[] = [];
  const start = vscode.l10n.t("Start polling");
  if (deps.polling.state.kind === "stopped" || deps.polling.state.kind === "error") {
    actions.push(start);
  }
  void vscode.window.showInformationMessage(summary, ...actions).then(async (choice) => {
    if (choice === start) {
      await vscode.commands.executeCommand("atl.startPolling");
    }
  });
  return description;
}

export function registerSqsCommands(deps: SqsCommandDeps): vscode.Disposable[] {
  return [
    registerCommand("atl.configureSqs", () => configureSqs(deps), deps.logger),
    registerCommand("atl.testSqsConnection", () => testSqsConnection(deps), deps.logger),
  ];
}
