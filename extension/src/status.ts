// The status bar item: the active trace set and its size, a spinner while scorers run; click to
// change the set. It follows the server's notifications (and the session's stops) only.
import * as vscode from "vscode";
import type { StatusParams } from "./protocol";
import { problemView, type StatusView, statusView } from "./statusView";

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

  showStatus(status: StatusParams): void {
    this.show(statusView(status));
  }

  showProblem(message: string): void {
    this.show(problemView(message));
  }

  private show(view: StatusView): void {
    this.item.text = view.text;
    this.item.tooltip = view.tooltip;
    this.item.backgroundColor = view.warning
      ? new vscode.ThemeColor("statusBarItem.warningBackground")
      : undefined;
  }

  dispose(): void {
    this.item.dispose();
  }
}
