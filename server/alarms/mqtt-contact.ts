// An MQTT contact point: alarm notices published as JSON to a topic on the lab's broker (QoS 1
// by default), through one connection per point that reconnects by itself. The broker's
// credentials come from the environment variables the point names, never from the rules file.
// MQTT.js is loaded on first use, so a server without MQTT contact points never loads it.
import { randomBytes } from "node:crypto";
import type { MqttClient } from "mqtt";
import type { ContactPoint } from "../../src/core/alarm-rules.js";
import { type AlarmNotice, type Deliver, topicFor } from "./contact-points.js";

type MqttPoint = Extract<ContactPoint, { kind: "mqtt" }>;
const CONNECT_WAIT_MS = 3000;

export function mqttDeliver(point: MqttPoint, env: NodeJS.ProcessEnv = process.env): Deliver & { close: () => Promise<void> } {
  let client: MqttClient | undefined;
  const connect = async (): Promise<MqttClient> => {
    if (client) return client;
    const { connect: open } = await import("mqtt");
    client = open(point.url, {
      clientId: `runboard-alarms-${randomBytes(4).toString("hex")}`,
      ...(point.usernameEnv ? { username: env[point.usernameEnv] ?? "" } : {}),
      ...(point.passwordEnv ? { password: env[point.passwordEnv] ?? "" } : {}),
      reconnectPeriod: 2000,
      connectTimeout: 5000,
    });
    client.on("error", () => undefined); // said by the queue's retry, with the send that failed
    return client;
  };
  const connected = async (): Promise<MqttClient> => {
    const c = await connect();
    if (c.connected) return c;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no connection to ${point.url}`)), CONNECT_WAIT_MS);
      c.once("connect", () => (clearTimeout(timer), resolve()));
    });
    return c;
  };
  const deliver = async (notice: AlarmNotice): Promise<void> => {
    const c = await connected();
    await c.publishAsync(topicFor(point.topic, notice), JSON.stringify(notice), {
      qos: point.qos ?? 1,
      retain: point.retain ?? false,
    });
  };
  return Object.assign(deliver, {
    close: async () => {
      await client?.endAsync(true).catch(() => undefined);
      client = undefined;
    },
  });
}
