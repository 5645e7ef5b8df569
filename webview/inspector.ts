// The process inspector: polls `inspect` for one process while shown (so the mailbox is live) and
// offers send (a term editor that validates as you type), kill and trace. When the runtime cannot
// answer (a stuck scheduler), it says so and keeps what it last knew, marked stale.

import type { InspectChild, InspectResult } from "../protocol/control.js";
import { parsePid, pidTyped } from "../protocol/control.js";
import { parseTerm, TermSyntaxError } from "../protocol/termSyntax.js";
import { Sparkline } from "./charts.js";
import { h, setText } from "./dom.js";
import * as fmt from "./format.js";
import { EXITED, FREE } from "./store.js";
import { button, checkbox, drawn, setChecked, textArea, textField } from "./toolkit.js";
import { pidLink, sourceLink, type Ui, type View } from "./ui.js";

const POLL_MS = 1000;
const MAILBOX_LIMIT = 20;
const SPARK_POINTS = 60;
/** An inspection unanswered this long says how long it has waited. */
const SLOW_ANSWER_MS = 1000;

/** The runtime's refusal for a pid that is not alive (docs/protocol.md, section 9). */

export class Inspector implements View {
  readonly element: HTMLElement;
  pid: number | null = null;
  private result: InspectResult | null = null;
  private error = "";
  /** performance.now() of the last answer, to say how old a stale result is. */
  private answeredAt = 0;
  private polledAt = 0;
  private inFlight = false;
  /** The action status says the process was killed, which explains the errors that follow. */
  private killed = false;
  private drawn: unknown = null;
  private readonly pidField: HTMLElement & { value: string };
  private readonly body: HTMLElement;
  private readonly actionStatus: HTMLElement;
  private readonly sendEditor: HTMLElement & { value: string };
  private readonly sendError: HTMLElement;
  private readonly sendButton: HTMLElement;
  private readonly traceBox: HTMLElement & { checked: boolean };
  private readonly reductionSpark = new Sparkline(120, 24, "Reductions per second, one point per inspection (every second)");
  private readonly mailboxSpark = new Sparkline(120, 24, "Mailbox length, one point per inspection (every second)");
  private readonly rates: number[] = [];
  private readonly mailboxes: number[] = [];
  private last: { reductions: number; at: number } | null = null;

  constructor(private readonly ui: Ui) {
    this.pidField = textField("<0.84.0>", () => undefined, "Pid to inspect");
    this.pidField.setAttribute("data-testid", "inspect-pid");
    this.pidField.addEventListener("keydown", (e: KeyboardEvent) => {
      if (e.key === "Enter") this.inspectTyped();
    });
    this.body = h("div", { class: "inspector-body", "data-testid": "inspector-body" });
    this.actionStatus = h("div", { class: "action-status", role: "status", "aria-live": "polite", "data-testid": "action-status" });
    this.sendEditor = textArea("Message to send, as a term", 3, () => this.validate());
    this.sendEditor.setAttribute("data-testid", "send-editor");
    this.sendEditor.value = "ping";
    this.sendError = h("div", { class: "field-error", "aria-live": "polite", "data-testid": "send-error" });
    this.sendButton = button("Send", () => void this.send(), "primary", "Send this term as a message: ping is the string \"ping\", [add, 1, 2] a tuple, <0.84.0> a pid, #Ref<0.0.0.7> a ref");
    this.sendButton.setAttribute("data-testid", "send-button");
    this.traceBox = checkbox("Trace (events appear in Messages)", (on) => void this.trace(on));
    this.traceBox.setAttribute("data-testid", "trace-toggle");
    const kill = button("Kill", () => void this.kill(), "secondary", "Exit the process with reason 'killed' (like exit(Pid, kill))");
    kill.setAttribute("data-testid", "kill-button");

    this.element = h(
      "section",
      { class: "view inspector", "aria-label": "Process inspector" },
      h("div", "toolbar", this.pidField, button("Inspect", () => this.inspectTyped(), "secondary", "Inspect the process with this pid")),
      this.body,
      h(
        "div",
        "actions",
        h("h3", {}, "Actions"),
        h("label", { class: "field-label", title: "JSON, plus bare atoms (sent as strings), bare pids and refs, and unquoted object keys" }, "Send a message: ping, \"text\", 42, [add, 1, 2], {to: <0.84.0>}, #Ref<0.0.0.7>"),
        this.sendEditor,
        this.sendError,
        h("div", "action-row", this.sendButton, kill, this.traceBox),
        this.actionStatus,
      ),
    );
    this.renderBody();
  }

  state(): object {
    return { pid: this.pid };
  }

  open(pid: number): void {
    if (pid !== this.pid) {
      this.pid = pid;
      this.result = null;
      this.error = "";
      this.answeredAt = 0;
      this.rates.length = 0;
      this.mailboxes.length = 0;
      this.last = null;
      this.setActionStatus("");
    }
    this.pidField.value = fmt.pid(pid);
    this.polledAt = 0;
    this.ui.saveState();
  }

  render(now: number): void {
    if (this.pid !== null && !this.inFlight && now - this.polledAt >= POLL_MS) {
      this.polledAt = now;
      void this.poll(this.pid);
    }
    // The seconds shown for a slow answer or a stale result tick in the key too.
    const waited = this.inFlight && now - this.polledAt >= SLOW_ANSWER_MS ? Math.floor((now - this.polledAt) / 1000) : -1;
    const age = this.error && this.result !== null ? Math.floor((now - this.answeredAt) / 1000) : -1;
    const key = [this.result, this.error, this.pid, waited, age, this.ui.model.versions.warnings, this.ui.model.versions.faults, this.ui.past.wanted, this.ui.past.version];
    if (key.every((v, i) => v === (this.drawn as unknown[] | null)?.[i])) return;
    this.drawn = key;
    this.renderBody();
  }

  private inspectTyped(): void {
    const text = this.pidField.value.trim();
    const n = pidTyped(text);
    if (n === undefined) {
      this.error = `"${text}" is not a pid: write it like <0.84.0> or 84`;
      this.renderBody();
      return;
    }
    this.open(n);
  }

  private async poll(pid: number): Promise<void> {
    this.inFlight = true;
    const response = await this.ui.connection.request({ type: "inspect", pid: fmt.pid(pid), mailboxLimit: MAILBOX_LIMIT });
    this.inFlight = false;
    if (pid !== this.pid) return;
    if (!response.ok) {
      // Keep the last result on screen, marked stale: an exited process is still worth reading,
      // and so is a process whose scheduler cannot answer. A status line about an earlier action
      // would read as if it were about this error; a kill is what the error reports, so it stays.
      if (response.error !== this.error && !this.killed) this.setActionStatus("");
      this.error = response.error;
      return;
    }
    const r = response.result as InspectResult;
    const now = performance.now();
    if (this.last !== null) this.push(this.rates, ((r.reductions - this.last.reductions) * 1000) / Math.max(1, now - this.last.at));
    this.last = { reductions: r.reductions, at: now };
    this.push(this.mailboxes, r.mailboxLength);
    this.result = r;
    this.error = "";
    this.answeredAt = now;
    setChecked(this.traceBox, r.traced);
  }

  private push(values: number[], v: number): void {
    values.push(v);
    if (values.length > SPARK_POINTS) values.shift();
  }

  private renderBody(): void {
    if (this.pid === null) {
      this.body.replaceChildren(h("p", "empty", "Pick a process in the Processes table, a top list or a warning, or type a pid above."));
      return;
    }
    const r = this.result;
    const now = performance.now();
    // The runtime's refusal for a pid that is gone (docs/protocol.md, section 9).
    const gone = this.error.startsWith(`no process ${fmt.pid(this.pid)} is alive`);
    // In the past (or at a replay's end, which has no live process), the recorded record comes first.
    const parts: Node[] = this.ui.past.wanted === null ? [] : this.pastRecord(this.pid, this.ui.past.wanted);
    if (this.error) {
      parts.push(h("p", { class: "inspect-error", role: "alert", "data-testid": "inspect-error" }, this.error));
      const stuck = gone ? undefined : this.stuckWarning();
      if (stuck !== undefined) parts.push(stuck);
    }
    if (r === null) {
      const waited = now - this.polledAt;
      if (this.error) parts.push(h("p", "empty", `Nothing is known of ${fmt.pid(this.pid)} yet: the runtime has not answered an inspection of it.`));
      else parts.push(h("p", "empty", `Inspecting ${fmt.pid(this.pid)}…${this.inFlight && waited >= SLOW_ANSWER_MS ? ` no answer for ${Math.floor(waited / 1000)} s` : ""}`));
      this.body.replaceChildren(...parts);
      return;
    }
    const stale = this.error !== "" && !gone;
    if (this.error) {
      const ago = `${fmt.count(Math.floor((now - this.answeredAt) / 1000))} s ago`;
      parts.push(h("p", { class: "stale-note", "data-testid": "inspect-stale" }, stale ? `Stale: what the runtime last said about ${r.pid}, ${ago}.` : `What the runtime last said about ${r.pid}, ${ago}, before it exited.`));
      // A supervised child that exited was likely restarted: say as which process, to follow it.
      const next = gone ? this.ui.model.successor(this.pid) : undefined;
      if (next !== undefined) parts.push(h("p", { class: "restarted-note", "data-testid": "inspect-restarted-as" }, `Its supervisor ${fmt.pid(next.supervisor)} restarted it as `, pidLink(this.ui, next.pid, fmt.pid(next.pid)), "."));
    }
    const field = (label: string, tooltip: string, ...value: (Node | string)[]) => h("div", { class: "field", title: tooltip }, h("span", "field-name", label), h("span", "field-value", ...value));
    // The runtime lists at most INSPECT_LIST_LIMIT pids and counts the rest.
    const links = (pids: string[], count: number) => [
      ...(pids.length === 0 ? ["none"] : pids.flatMap((p, i) => [i > 0 ? ", " : "", pidLink(this.ui, parsePid(p) ?? 0, p)])),
      count > pids.length ? ` and ${fmt.count(count - pids.length)} more` : "",
    ];
    parts.push(
      h("div", "inspect-title", h("strong", { "data-testid": "inspect-title" }, r.pid), r.name ? h("span", "inspect-name", ` ${r.name}`) : "", h("span", { class: `status-pill ${gone ? "exited" : r.status}${stale ? " stale" : ""}`, "data-testid": "inspect-status" }, gone ? "exited" : stale ? `${r.status} (stale)` : r.status)),
      h(
        "div",
        "fields",
        field("Function", "The function the process was spawned with.", r.function),
        field("Spawned at", "The source line of the spawn.", sourceLink(this.ui, r.spawnSite)),
        field("Waits at", "The receive the process is blocked in, if it waits.", r.waitSite ? sourceLink(this.ui, r.waitSite) : "not waiting"),
        field("Scheduler", "The scheduler thread it lives on.", String(r.scheduler)),
        field("Reductions", "Reductions since it started; the sparkline is reductions per second, one point per second.", h("span", { "data-testid": "inspect-reductions" }, fmt.count(r.reductions)), this.reductionSpark.element),
        field("Mailbox", "Messages waiting in the mailbox; the sparkline is its length, one point per second.", h("span", { "data-testid": "inspect-mailbox-length" }, fmt.count(r.mailboxLength)), this.mailboxSpark.element),
        field("Memory (est.)", "An estimate, not a measurement: V8 has no per-process heap, so the runtime counts a parked process's measured size plus 64 B per queued message.", `≈${fmt.bytes(r.memory)}`),
        field("Links", "Linked processes: when one exits with a reason other than normal, the others get an exit signal and exit too, unless they trap exits.", ...links(r.links, r.linkCount)),
        field("Monitors", "Processes this one monitors: it gets a DOWN message when one of them exits.", ...links(r.monitors, r.monitorCount)),
        field("Monitored by", "Processes that monitor this one: each gets a DOWN message when it exits.", ...links(r.monitoredBy, r.monitoredByCount)),
        field("Traps exits", "With processFlag(\"trapExit\", true), exit signals from linked processes arrive as [\"EXIT\", pid, reason] messages instead of ending it.", h("span", { "data-testid": "inspect-trap-exit" }, r.trapExit ? "yes" : "no")),
        field("Supervisor", "The supervisor this process is a child of: it restarts the process as its child spec says.", r.supervisor ? pidLink(this.ui, parsePid(r.supervisor) ?? 0, r.supervisor) : "none"),
        r.strategy !== undefined ? field("Strategy", "How this supervisor restarts its children when one exits.", h("span", { "data-testid": "inspect-strategy" }, r.strategy)) : null,
        r.intensity !== undefined && r.period !== undefined ? field("Intensity", "More restarts than this within the period, and the supervisor gives up: it stops its children and exits with reason shutdown.", `${fmt.counted(r.intensity, "restart")} in ${fmt.duration(r.period)}`) : null,
        r.restarts !== undefined ? field("Restarts", "Children this supervisor has restarted since it started.", h("span", { "data-testid": "inspect-restarts" }, fmt.count(r.restarts))) : null,
      ),
    );
    if (r.children !== undefined) parts.push(...this.children(r.children, r.childCount ?? r.children.length));
    if (r.waitingFor.length > 0) parts.push(h("h3", { title: "The clauses of the receive it waits in: a message must match one of them." }, "Waiting for"), h("pre", { class: "clauses", "data-testid": "inspect-clauses" }, r.waitingFor.join("\n")));
    if (r.state !== undefined) parts.push(h("h3", { title: "The server's state, as its loop carries it." }, "State"), h("pre", "state", r.state));
    parts.push(
      h("h3", { title: `The oldest messages first; at most ${MAILBOX_LIMIT} are fetched.` }, `Mailbox (${r.mailbox.length < r.mailboxLength ? `first ${r.mailbox.length} of ${fmt.count(r.mailboxLength)}` : fmt.count(r.mailboxLength)})`),
      r.mailbox.length === 0 ? h("p", "empty", "Empty.") : h("ol", { class: "mailbox", "data-testid": "inspect-mailbox" }, ...r.mailbox.map((m) => h("li", {}, h("code", {}, m)))),
    );
    this.body.replaceChildren(...parts);
    this.reductionSpark.draw(this.rates);
    this.mailboxSpark.draw(this.mailboxes);
  }

  /**
   * In the past (the timeline): the process's record in the recorded table at that moment, which
   * is what the recording keeps of a process; the live inspection follows, said to be live.
   */
  private pastRecord(pid: number, at: number): Node[] {
    const m = this.ui.model;
    const past = this.ui.past;
    const t = (time: number) => fmt.duration(m.programTime(time));
    const heading = h("h3", { title: "The process's record in the process table the runtime recorded, at the moment on the timeline." }, `Recorded at ${t(at)}`);
    const live = h("h3", { class: "live-heading", title: "What the inspect request answers now: the mailbox's messages, the receive clauses, a server's state and the lists of links and monitors are not recorded." }, "Live now (mailbox contents, state and links are not recorded)");
    const state = past.state;
    if (state.kind !== "ready") {
      const why = state.kind === "not-recorded" ? "the recording holds no process list at that moment" : state.kind === "failed" ? state.error : "loading…";
      return [heading, h("p", { class: "empty", "data-testid": "inspect-past" }, `No record of ${fmt.pid(pid)}: ${why}.`), live];
    }
    const store = past.store;
    const slot = store.slotOf(pid);
    if (slot < 0 || store.status[slot] === FREE || store.status[slot] === EXITED) return [heading, h("p", { class: "empty", "data-testid": "inspect-past" }, `${fmt.pid(pid)} was not alive at ${t(state.time)}.`), live];
    const info = store.info(slot);
    const field = (label: string, value: Node | string) => h("div", "field", h("span", "field-name", label), h("span", "field-value", value));
    return [
      heading,
      h(
        "div",
        { class: "fields past-fields", "data-testid": "inspect-past" },
        field("Status", h("span", { "data-testid": "inspect-past-status" }, info.statusName)),
        field("Mailbox", h("span", { "data-testid": "inspect-past-mailbox" }, fmt.count(info.mailbox))),
        field("Reductions", fmt.count(info.reductions)),
        field("Memory (est.)", `≈${fmt.bytes(info.memory)}`),
        field("Function", info.fn),
        field("Name", info.name || "none"),
        field("Scheduler", String(info.scheduler)),
        field("Spawned at", sourceLink(this.ui, m.siteText(info.spawnSite))),
        field("Waits at", info.waitSite ? sourceLink(this.ui, m.siteText(info.waitSite)) : "not waiting"),
        field("Links · monitors · monitored by", `${fmt.count(info.links)} · ${fmt.count(info.monitors)} · ${fmt.count(info.monitoredBy)}`),
        field("Traps exits", info.trapExit ? "yes" : "no"),
      ),
      live,
    ];
  }

  /** A supervisor's children: each with its pid (to inspect), restart type and restarts so far. */
  private children(children: InspectChild[], count: number): Node[] {
    const title = h("h3", { title: "This supervisor's children, in the order they start. A child that is not running has no pid." }, `Children (${fmt.count(count)})`);
    if (children.length === 0) return [title, h("p", "empty", "None.")];
    const head = h("tr", {}, ...["Id", "Pid", "Type", "Restart", "Restarts", "Last exit reason"].map((c) => h("th", { scope: "col", class: c === "Restarts" ? "num" : "" }, c)));
    const rows = children.map((c) => {
      const pid = parsePid(c.pid);
      return h(
        "tr",
        c.restarts > 0 ? "restarted" : "",
        h("td", "child-id", c.id),
        h("td", {}, pid !== undefined ? pidLink(this.ui, pid, c.pid) : h("span", "muted", "not running")),
        h("td", {}, c.type),
        h("td", {}, c.restart),
        h("td", "num", fmt.count(c.restarts)),
        h("td", { class: "reason", title: c.lastReason }, c.lastReason || "—"),
      );
    });
    const more = count > children.length ? h("p", "note", `Showing ${fmt.count(children.length)} of ${fmt.counted(count, "child", "children")}: those restarted most recently, then the first in order.`) : null;
    return [title, h("table", { class: "children-table", "data-testid": "inspect-children" }, h("thead", {}, head), h("tbody", {}, ...rows)), ...(more ? [more] : [])];
  }

  /** The non-preemptible warning of a stuck scheduler, which says which process is stuck where. */
  private stuckWarning(): HTMLElement | undefined {
    const w = this.ui.model.warnings.find((w) => w.kind === "non-preemptible" && / stuck /.test(w.message));
    if (w === undefined) return undefined;
    return h("p", { class: "stuck-note", "data-testid": "inspect-stuck" }, w.message, w.site ? " " : "", w.site ? sourceLink(this.ui, w.site) : "");
  }

  /** The editor's term in the wire's JSON form, or undefined after showing where it is wrong. */
  private validate(): unknown {
    const text = this.sendEditor.value;
    try {
      const value = parseTerm(text);
      setText(this.sendError, "");
      this.sendButton.removeAttribute("disabled");
      return value;
    } catch (error) {
      if (!(error instanceof TermSyntaxError)) throw error;
      setText(this.sendError, `Not a term: ${error.message}`);
      this.sendButton.setAttribute("disabled", "");
      this.setActionStatus("");
      return undefined;
    }
  }

  private setActionStatus(text: string, killed = false): void {
    setText(this.actionStatus, text);
    this.killed = killed;
  }

  private async send(): Promise<void> {
    if (this.pid === null) return;
    const message = this.validate();
    if (message === undefined) return;
    const to = fmt.pid(this.pid);
    this.setActionStatus(`Sending to ${to}…`);
    const r = await this.ui.connection.request({ type: "send", to, message });
    this.setActionStatus(r.ok ? `Sent to ${to}.` : `Not sent: ${r.error}`);
    this.polledAt = 0;
  }

  private async kill(): Promise<void> {
    if (this.pid === null) return;
    const pid = fmt.pid(this.pid);
    this.setActionStatus(`Killing ${pid}…`);
    const r = await this.ui.connection.request({ type: "kill", pid, reason: "killed" });
    this.setActionStatus(r.ok ? `Killed ${pid}.` : `Not killed: ${r.error}`, r.ok);
    this.polledAt = 0;
  }

  private async trace(enabled: boolean): Promise<void> {
    if (this.pid === null) return;
    const pid = fmt.pid(this.pid);
    this.setActionStatus(enabled ? `Turning tracing on for ${pid}…` : `Turning tracing off for ${pid}…`);
    const r = await this.ui.connection.request({ type: "trace", pid, enabled });
    // A refused trace leaves the box as it was: ticked only while the runtime traces the process.
    // The status that says so waits until the box is drawn unticked (issue 14: it once said "Trace
    // failed" beside a box still ticked).
    if (!r.ok) {
      setChecked(this.traceBox, !enabled);
      await drawn();
    }
    this.setActionStatus(r.ok ? (enabled ? `Tracing ${pid}: its events appear in Messages.` : `Stopped tracing ${pid}.`) : `Trace failed: ${r.error}`);
  }
}
