// `beamline replay FILE`: serves a recording file to viewers as a live run's hub serves a viewer that
// connects after main ended (docs/protocol.md, sections 5 and 13): hello (saying it is a replay),
// the site table, the history with every recorded sample, the warnings with the ended ones, the
// latest fault of each group, and the last site aggregates. `seek` and `events` read the recorded
// process table, supervision trees and trace events as on a live run. Nothing is live, so requests that need a
// runtime are refused.

import { CHANNELS, parseRequest, PROTOCOL_VERSION, requestIdOf, type Channel, type Hello, type History, type ProtocolError, type Response, type Warning, type Warnings } from "../../protocol/index.js";
import { encodePast, encodeSampleHistory, pageHeader } from "../../protocol/frames.js";
import type { DecodedRecording } from "../../protocol/recordingFile.js";
import { FaultHistory } from "./faultHistory.js";
import { Recording } from "./recording.js";
import type { ClientConnection } from "./telemetryHub.js";
import type { TelemetrySource } from "./telemetryServer.js";

/** What a request that needs the live runtime is answered, by its type. */
const NEEDS_RUNTIME: Record<string, string> = {
  inspect: "inspecting a process needs the live runtime",
  send: "sending a message needs the live runtime",
  kill: "killing a process needs the live runtime",
  trace: "tracing a process needs the live runtime",
  supervision: "the live supervision tree needs the live runtime; `seek` answers the recorded tree at any moment",
  "set-interval": "its samples were taken when it ran; the interval cannot change",
};

export class ReplayHub implements TelemetrySource {
  private readonly recording: Recording;
  private readonly faults = new FaultHistory();
  private readonly hello: Omit<Hello, "channels">;
  private readonly sites: DecodedRecording["header"]["sites"];
  /** The last warnings list recorded: what held when the recording ends. */
  private warnings: { time: number; warnings: Warning[] } = { time: 0, warnings: [] };
  private readonly clients = new Map<ClientConnection, Set<Channel>>();

  constructor(decoded: DecodedRecording, file: string) {
    const { header, items, end } = decoded;
    this.recording = new Recording(header.capBytes);
    this.recording.restoreDropped(header.dropped);
    this.sites = header.sites;
    let mainStartedAt: number | undefined;
    let endsAt = 0;
    for (const item of items) {
      switch (item.kind) {
        case "sample":
          this.recording.sample(item.frame, item.time);
          endsAt = Math.max(endsAt, item.time);
          break;
        case "ended-warning":
          this.recording.restoreEnded(item.warning);
          break;
        case "warnings":
          this.warnings = { time: item.time, warnings: item.warnings };
          break;
        case "main-started":
          mainStartedAt = item.message.at;
          break;
        case "main-exited":
          this.recording.mainExited = { at: item.message.at, crashed: item.message.crashed };
          endsAt = Math.max(endsAt, item.message.at);
          break;
        case "fault":
          this.faults.add([item.message]);
          break;
        case "keyframe-page": {
          // A keyframe's pages follow each other in the file, page 0 first.
          const { page, pages } = pageHeader(item.frame);
          if (page === 0) this.recording.keyframeStarted();
          this.recording.keyframePage(item.frame);
          if (page === pages - 1) this.recording.keyframeDone(item.time);
          endsAt = Math.max(endsAt, item.time);
          break;
        }
        case "delta":
          this.recording.delta(item.frame, item.time);
          endsAt = Math.max(endsAt, item.time);
          break;
        case "aggregates":
          this.recording.siteAggregates(item.frame, item.time, 0);
          endsAt = Math.max(endsAt, item.time);
          break;
        case "events":
          this.recording.traceEvents(item.frame, item.time);
          endsAt = Math.max(endsAt, item.time);
          break;
        case "supervision":
          this.recording.supervisionTree(item.tree, item.time);
          endsAt = Math.max(endsAt, item.time);
          break;
      }
    }
    if (end !== undefined) endsAt = Math.max(endsAt, end.at);
    this.hello = {
      type: "hello",
      version: PROTOCOL_VERSION,
      node: header.node,
      schedulers: header.schedulers,
      reductions: header.reductions,
      program: header.program,
      startedAt: header.startedAt,
      osPid: process.pid,
      ...(mainStartedAt !== undefined ? { mainStartedAt } : {}),
      sampleIntervalMs: header.sampleIntervalMs,
      replay: { file, complete: end !== undefined, endsAt },
    };
  }

  /** The samples, keyframes, trace events, ended warnings and main's end the replay serves (for the CLI's summary line). */
  get summary(): { samples: number; keyframes: number; events: number; endedWarnings: number; mainExited: boolean } {
    const r = this.recording;
    return { samples: r.sampleCount, keyframes: r.processSegments().length, events: r.eventCount, endedWarnings: r.endedTotal, mainExited: r.mainExited !== undefined };
  }

  connect(connection: ClientConnection, channels: readonly Channel[] = CHANNELS): () => void {
    const subscribed = new Set(channels);
    this.clients.set(connection, subscribed);
    connection.send(JSON.stringify({ ...this.hello, channels: [...subscribed] }));
    connection.send(JSON.stringify({ type: "sites", sites: this.sites }));
    const r = this.recording;
    const samples = subscribed.has("schedulers") ? r.sampleCount : 0;
    const history: History = { type: "history", capBytes: r.capBytes, bytes: r.bytes, samples, dropped: { ...r.dropped }, ...(r.mainExited !== undefined ? { mainExited: r.mainExited } : {}), processesFrom: r.processesFrom, eventCount: r.eventCount };
    connection.send(JSON.stringify(history));
    if (samples > 0) connection.send(encodeSampleHistory(r.sampleFrames()));
    if (subscribed.has("warnings")) this.sendWarnings(connection);
    if (subscribed.has("faults")) for (const text of this.faults.replay()) connection.send(text);
    // The run's last counts per site: an editor's code lenses show them on a replay.
    const sites = r.lastSiteAggregates();
    if (subscribed.has("sites") && sites !== undefined) connection.send(sites);
    return () => this.clients.delete(connection);
  }

  request(connection: ClientConnection, text: string): void {
    const channels = this.clients.get(connection);
    if (channels === undefined) return;
    const reply = (response: Response) => connection.send(JSON.stringify(response));
    let request;
    try {
      request = parseRequest(text);
    } catch (error) {
      reply({ type: "response", id: requestIdOf(text), ok: false, error: (error as ProtocolError).message });
      return;
    }
    switch (request.type) {
      case "subscribe":
        if (!channels.has(request.channel)) {
          channels.add(request.channel);
          if (request.channel === "warnings") this.sendWarnings(connection);
          if (request.channel === "faults") for (const fault of this.faults.replay()) connection.send(fault);
          const sites = this.recording.lastSiteAggregates();
          if (request.channel === "sites" && sites !== undefined) connection.send(sites);
        }
        reply({ type: "response", id: request.id, ok: true, result: { channels: [...channels] } });
        return;
      case "unsubscribe":
        channels.delete(request.channel);
        reply({ type: "response", id: request.id, ok: true, result: { channels: [...channels] } });
        return;
      case "seek": {
        const past = this.recording.seek(request.time);
        connection.send(encodePast(request.id, request.time, past.frames));
        reply({ type: "response", id: request.id, ok: true, result: past.result });
        return;
      }
      case "events":
        reply({ type: "response", id: request.id, ok: true, result: this.recording.findEvents(request) });
        return;
      default:
        reply({ type: "response", id: request.id, ok: false, error: `this is a recording; ${NEEDS_RUNTIME[request.type]} (beamline replay serves what ${this.hello.program} recorded)` });
    }
  }

  binaryMessage(connection: ClientConnection): void {
    connection.send(JSON.stringify({ type: "response", id: -1, ok: false, error: "requests are JSON text messages, not binary" } satisfies Response));
  }

  /** The warnings that held when the recording ends, and every ended warning it holds. */
  private sendWarnings(connection: ClientConnection): void {
    const message: Warnings = { type: "warnings", seq: 0, time: this.warnings.time, warnings: this.warnings.warnings, ended: this.recording.endedSince(0) };
    connection.send(JSON.stringify(message));
  }
}
