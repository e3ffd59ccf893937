// The status bar item: the active trace set and its size; click to change it.
import * as vscode from "vscode";
import type { StatusParams, TraceSet } from "./protocol";

export class TraceSetStatus implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;

  constructor() {
    this.item = vscode.window.createStatusBarItem(
      "scorelens.traceSet",
      vscode.StatusBarAlignment.Left,
      50,
    );
    this.item.name = "ScoreLens Trace Set";
    this.item.command = "scorelens.selectTraceSet";
    this.item.text = "$(loading~spin) ScoreLens";
    this.item.tooltip = "ScoreLens is starting";
    this.item.show();
  }

  showTraceSet(traceSet: TraceSet): void {
    const which = traceSet.runId === null ? "all traces" : `run ${traceSet.runId.slice(0, 8)}`;
    this.item.text = `$(beaker) ${which} · ${String(traceSet.traceCount)} traces`;
    this.item.tooltip = "ScoreLens: the traces scorers run on. Click to choose another set.";
    this.item.backgroundColor = undefined;
  }

  showStatus(status: StatusParams): void {
    if (status.state === "error") {
      this.showProblem(status.message);
    } else {
      this.showTraceSet(status.traceSet);
    }
  }

  showProblem(message: string): void {
    this.item.text = "$(warning) ScoreLens";
    this.item.tooltip = message;
    this.item.backgroundColor = new vscode.ThemeColor("statusBarItem.warningBackground");
  }

  dispose(): void {
    this.item.dispose();
  }
}
