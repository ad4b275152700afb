// The Alarms view's model: incidents and unparsed entries from the store, grouped by state or by
// host, with counts for the badge and the status bar. It listens to the store and tells the
// provider to redraw at most every REFRESH_DEBOUNCE_MS, so an alert storm of hundreds of alarms a
// minute costs a handful of redraws.
import * as vscode from "vscode";
import type { Incident, UnparsedEntry } from "../../alarms/model";
import type { HostEntry } from "../../hosts/model";
import { Disposable } from "../disposable";
import { type AlarmGroup, type GroupBy, groupAlarms } from "../../diagnosis/grouping";

export * from "../../diagnosis/grouping";

/** What the view needs from the alarm store (AlarmStore satisfies it through a small adapter). */
export interface AlarmsSource {
  incidents(): Incident[];
  unparsed(): UnparsedEntry[];
  readonly onDidChange: vscode.Event<void>;
}

export const REFRESH_DEBOUNCE_MS = 250;
/** During a storm the view still redraws at least this often. */
const REFRESH_MAX_WAIT_MS = 1000;

export class AlarmsModel extends Disposable {
  private readonly changeEmitter = this._register(new vscode.EventEmitter<void>());
  /** Debounced: fires once per burst of store changes. */
  readonly onDidChange = this.changeEmitter.event;
  private timer: NodeJS.Timeout | undefined;
  private firstPendingAt = 0;
  private groupByValue: GroupBy;

  constructor(
    private readonly source: AlarmsSource,
    private readonly hosts: () => HostEntry[],
    groupBy: GroupBy,
  ) {
    super();
    this.groupByValue = groupBy;
    this._register(source.onDidChange(() => this.refresh()));
    this._register({ dispose: () => clearTimeout(this.timer) });
  }

  get groupBy(): GroupBy {
    return this.groupByValue;
  }

  set groupBy(value: GroupBy) {
    if (value !== this.groupByValue) {
      this.groupByValue = value;
      this.fireNow();
    }
  }

  groups(): AlarmGroup[] {
    return groupAlarms(this.source.incidents(), this.source.unparsed(), this.groupByValue, this.hosts(), {
      state: (s) => (s === "ALARM" ? vscode.l10n.t("ALARM") : s === "OK" ? vscode.l10n.t("OK") : vscode.l10n.t("INSUFFICIENT_DATA")),
      noHost: vscode.l10n.t("No known host"),
      unparsed: vscode.l10n.t("Unparsed"),
    });
  }

  counts(): { open: number; openAlarm: number; unacknowledged: number; total: number } {
    const incidents = this.source.incidents();
    const open = incidents.filter((i) => i.status === "open");
    return {
      open: open.length,
      openAlarm: open.filter((i) => i.alarm.state === "ALARM").length,
      unacknowledged: open.filter((i) => !i.acknowledged).length,
      total: incidents.length + this.source.unparsed().length,
    };
  }

  /** Redraw now (group-by change, explicit refresh, relative times). */
  fireNow(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.changeEmitter.fire();
  }

  /** Redraw soon (debounced with the store's changes). */
  refresh(): void {
    const now = Date.now();
    if (this.timer === undefined) {
      this.firstPendingAt = now;
    } else if (now - this.firstPendingAt >= REFRESH_MAX_WAIT_MS) {
      this.fireNow();
      return;
    }
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.fireNow(), REFRESH_DEBOUNCE_MS);
  }
}
