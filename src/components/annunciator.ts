// The annunciator, as Phoebus's speaks new alarms: a tone and a spoken line for each new alarm
// (a burst of more than three summarised), a reminder every 15 minutes while anything is
// unacknowledged, "alarm service lost" said once when the news stops, and a desktop notification
// where the user allowed them. Browsers allow sound only after a gesture on the page, so it
// starts with one click on "Enable sound"; a kiosk browser started with Chromium's
// `--autoplay-policy=no-user-gesture-required` needs none.
import { type PageAlarm, alarmName, alarmValueText, announcement, reminderLine } from "../core/alarm-news.js";
import { SEVERITY_RANK } from "../core/alarm-state.js";
import type { AlarmPicture } from "./alarm-feed.js";
import { el } from "./dom.js";

export const REMIND_EVERY_MS = 15 * 60_000;

/** Two short beeps for MAJOR and INVALID, one lower beep for MINOR. */
const TONES = { MAJOR: [880, 880], INVALID: [880, 660], MINOR: [660] } as const;

export class Annunciator {
  private audio: AudioContext | undefined;
  private enabled = false;
  private lastSpokenAt = 0;
  private wasLost = false;
  private readonly button = el("button", { type: "button", className: "alarm-sound" });

  constructor() {
    this.button.addEventListener("click", () => (this.enabled ? this.disable() : void this.enable()));
    this.label();
    // A wall screen (?kiosk) whose browser may play sound without a gesture starts with it on.
    if (new URLSearchParams(location.search).has("kiosk")) void this.enableIfAllowed();
  }

  /** The "Enable sound" button the alarm area shows. */
  control(): HTMLElement {
    return this.button;
  }

  private label(): void {
    this.button.textContent = this.enabled ? "Sound on ✓" : "Enable sound";
    this.button.setAttribute("aria-pressed", String(this.enabled));
    this.button.title = this.enabled
      ? "New alarms are announced by a tone and a voice; click to silence"
      : "Announce new alarms by a tone and a voice (browsers allow sound only after a click)";
  }

  private async enable(): Promise<void> {
    this.audio ??= new AudioContext();
    await this.audio.resume().catch(() => undefined);
    this.enabled = true;
    this.lastSpokenAt = Date.now();
    this.label();
    if ("Notification" in window && Notification.permission === "default") void Notification.requestPermission();
  }

  private async enableIfAllowed(): Promise<void> {
    const probe = new AudioContext();
    if (probe.state === "running") {
      this.audio = probe;
      await this.enable();
    } else void probe.close();
  }

  private disable(): void {
    this.enabled = false;
    speechSynthesis.cancel();
    this.label();
  }

  /** Each news: new alarms announced, the reminder when due, the service lost said once. */
  hear(picture: AlarmPicture, rose: readonly PageAlarm[]): void {
    const lost = !!picture.lost;
    const becameLost = lost && !this.wasLost;
    this.wasLost = lost;
    if (!this.enabled) return;
    if (becameLost) return this.say(["Alarm service lost"], "MAJOR");
    if (rose.length > 0) {
      const ordered = [...rose].sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity]);
      this.say(announcement(ordered), ordered[0]!.severity);
      this.notify(ordered);
    } else if (!lost && picture.counts.unacknowledged > 0 && Date.now() - this.lastSpokenAt >= REMIND_EVERY_MS) {
      this.say([reminderLine(picture.counts.unacknowledged)], "MINOR");
    }
  }

  private say(lines: string[], severity: PageAlarm["severity"]): void {
    this.lastSpokenAt = Date.now();
    this.tone(severity === "OK" ? "MINOR" : severity);
    for (const line of lines) {
      const utterance = new SpeechSynthesisUtterance(line);
      utterance.rate = 1.05;
      speechSynthesis.speak(utterance);
    }
  }

  private tone(severity: keyof typeof TONES): void {
    const audio = this.audio;
    if (!audio) return;
    TONES[severity].forEach((frequency, i) => {
      const start = audio.currentTime + i * 0.25;
      const oscillator = audio.createOscillator();
      const gain = audio.createGain();
      oscillator.frequency.value = frequency;
      gain.gain.setValueAtTime(0.0001, start);
      gain.gain.exponentialRampToValueAtTime(0.3, start + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.2);
      oscillator.connect(gain).connect(audio.destination);
      oscillator.start(start);
      oscillator.stop(start + 0.22);
    });
  }

  private notify(rose: readonly PageAlarm[]): void {
    if (!("Notification" in window) || Notification.permission !== "granted") return;
    const worst = rose[0]!;
    const more = rose.length > 1 ? ` and ${rose.length - 1} more` : "";
    const note = new Notification(`runboard: ${worst.severity} alarm`, {
      body: `${alarmName(worst)}: ${alarmValueText(worst)}${more}`,
      tag: "runboard-alarms",
    });
    note.onclick = () => window.focus();
  }
}
