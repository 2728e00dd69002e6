/**
 * The harness's public library API: model configs and the zoo, parameter
 * counting, weight layout, the backend interface, WebGPU device acquisition,
 * run-record fingerprints and files, and summary statistics.
 *
 * @module
 */
export * from "./models/config.ts";
export * from "./models/zoo.ts";
export * from "./models/params.ts";
export * from "./models/layout.ts";
export * from "./models/model.ts";
export type * from "./backends/backend.ts";
export * from "./runtime/device.ts";
export * from "./runtime/fingerprint.ts";
export * from "./runtime/records.ts";
export * from "./runtime/stats.ts";
