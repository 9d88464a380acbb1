// The message action sheet (reply, react, edit, delete, report) and the
// report sheet: reporting is two taps, "Report" then a reason.
import { byId, el } from "../dom";
import { emojis } from "../reactions";

export interface Target {
  id: string;
  user: string;
  who: string;
  text: string;
  mine: boolean;
  canEdit: boolean;
}

export interface SheetActions {
  reply(t: Target): void;
  react(t: Target, emoji: string): void;
  edit(t: Target): void;
  remove(t: Target): void;
  report(t: Target, reason: string): void;
}

const reasons: Array<[string, string]> = [
  ["spam", "Spam or scam"],
  ["harassment", "Harassment or bullying"],
  ["hate", "Hate speech"],
  ["other", "Something else"],
];

export class Sheets {
  private readonly sheet = byId<HTMLDialogElement>("msg-sheet");
  private readonly reportSheet = byId<HTMLDialogElement>("report-sheet");
  private target: Target | null = null;

  constructor(private readonly act: SheetActions) {
    for (const d of [this.sheet, this.reportSheet]) {
      d.addEventListener("click", (ev) => {
        if (ev.target === d) d.close(); // a tap outside closes it
      });
    }
    byId("sheet-close").addEventListener("click", () => this.sheet.close());
    byId("report-close").addEventListener("click", () => this.reportSheet.close());
    const reasonsBox = byId("report-reasons");
    for (const [value, label] of reasons) {
      const b = el("button", "sheet-item", label);
      b.type = "button";
      b.dataset["reason"] = value;
      b.addEventListener("click", () => {
        const t = this.target;
        this.reportSheet.close();
        if (t) this.act.report(t, value);
      });
      reasonsBox.append(b);
    }
  }

  /** Opens the actions of a message. */
  open(t: Target, returnFocus: HTMLElement): void {
    this.target = t;
    byId("sheet-title").textContent = `Message from ${t.who}`;
    byId("sheet-quote").textContent = t.text;
    const box = byId("sheet-actions");
    box.textContent = "";
    const item = (label: string, fn: () => void, cls = ""): void => {
      const b = el("button", `sheet-item ${cls}`.trim(), label);
      b.type = "button";
      b.addEventListener("click", () => {
        this.sheet.close();
        fn();
      });
      box.append(b);
    };
    const row = el("div", "sheet-emojis");
    row.setAttribute("role", "group");
    row.setAttribute("aria-label", "React");
    for (const e of emojis) {
      const b = el("button", "sheet-emoji", e);
      b.type = "button";
      b.setAttribute("aria-label", `React with ${e}`);
      b.addEventListener("click", () => {
        this.sheet.close();
        this.act.react(t, e);
      });
      row.append(b);
    }
    box.append(row);
    item("Reply", () => this.act.reply(t));
    if (t.canEdit) item("Edit", () => this.act.edit(t));
    if (t.mine) item("Delete", () => this.act.remove(t), "danger");
    else item("Report…", () => this.openReport(t), "danger");
    this.sheet.addEventListener("close", () => returnFocus.focus(), { once: true });
    this.sheet.showModal();
  }

  private openReport(t: Target): void {
    this.target = t;
    byId("report-title").textContent = `Report this message from ${t.who}?`;
    byId("report-quote").textContent = t.text;
    this.reportSheet.showModal();
  }
}
