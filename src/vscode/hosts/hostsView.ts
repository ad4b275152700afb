// The Hosts view as the workbench shows it: the tree view, the `atl.configured.hosts` context key,
// reachability probed when the view shows and every few minutes while it stays visible, and the
// host commands.
import * as vscode from "vscode";
import type { HostEntry } from "../../hosts/model";
import { registerCommand } from "../commands";
import { Disposable } from "../disposable";
import { addHost, setAgentSecret, setSshPassphrase, testHost, type HostCommandDeps } from "./hostCommands";
import type { HostsModel } from "./hostsModel";
import { HostsTreeProvider } from "./hostsProvider";

export const HOSTS_VIEW = "atl.hosts";
const REPROBE_MS = 3 * 60_000;

export class HostsView extends Disposable {
  readonly provider: HostsTreeProvider;
  readonly treeView: vscode.TreeView<HostEntry>;
  private timer: NodeJS.Timeout | undefined;

  constructor(readonly model: HostsModel) {
    super();
    this.provider = this._register(new HostsTreeProvider(model));
    this.treeView = this._register(vscode.window.createTreeView(HOSTS_VIEW, { treeDataProvider: this.provider }));
    this._register(model.onDidChangeHosts((hosts) => this.setConfigured(hosts)));
    this._register(this.treeView.onDidChangeVisibility((e) => this.probeWhileVisible(e.visible)));
    this._register({ dispose: () => clearInterval(this.timer) });
    this.setConfigured(model.hosts);
    this.probeWhileVisible(this.treeView.visible);
  }

  private setConfigured(hosts: HostEntry[]): void {
    void vscode.commands.executeCommand("setContext", "atl.configured.hosts", hosts.length > 0);
  }

  private probeWhileVisible(visible: boolean): void {
    clearInterval(this.timer);
    this.timer = visible ? setInterval(() => void this.model.refresh(), REPROBE_MS) : undefined;
  }
}

export function registerHostCommands(view: HostsView, deps: HostCommandDeps): vscode.Disposable[] {
  const { logger } = deps;
  return [
    registerCommand("atl.refreshHosts", () => view.model.refresh(), logger),
    registerCommand("atl.testHost", (arg) => testHost(deps, arg), logger),
    registerCommand("atl.addHost", () => addHost(deps), logger),
    registerCommand("atl.setAgentSecret", (arg) => setAgentSecret(deps, arg), logger),
    registerCommand("atl.setSshPassphrase", (arg) => setSshPassphrase(deps, arg), logger),
  ];
}
