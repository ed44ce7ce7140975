/**
 * Builders of CloudWatch dashboard widgets in the dashboard body's JSON shape. Values may be token
 * strings (names of other resources): cdktf renders them as Terraform references inside the JSON text.
 */

/** Width of a dashboard row in grid units, fixed by CloudWatch. */
export const DASHBOARD_GRID_WIDTH = 24;
/** Height of every graph row in grid units. */
export const GRAPH_HEIGHT = 6;
/** Period of every graph, in seconds, which is the finest of the standard metrics shown. */
export const GRAPH_PERIOD_SECONDS = 60;

/** A CloudWatch metric: namespace, name and dimensions, as in the `metrics` array of a graph widget. */
export interface MetricSpec {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Record<string, string>;
  /** `Sum`, `Average`, `Maximum` or a percentile such as `p99`. */
  readonly stat: string;
  readonly label?: string;
}

/** A graph widget before it is placed on the grid. */
export interface GraphSpec {
  readonly title: string;
  readonly metrics: readonly MetricSpec[];
  /** Unit shown on the left axis, such as `Count` or `Milliseconds`. */
  readonly unit?: string;
}

/** A widget in the dashboard body's JSON shape. */
export interface Widget {
  readonly type: "metric" | "alarm" | "text";
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly properties: Record<string, unknown>;
}

function metricRow(metric: MetricSpec): unknown[] {
  const dimensions = Object.entries(metric.dimensions).flat();
  const options: Record<string, string> = { stat: metric.stat };
  if (metric.label) {
    options.label = metric.label;
  }
  return [metric.namespace, metric.metricName, ...dimensions, options];
}

/** Places graphs side by side in one row starting at `y`, sharing the row's width evenly. */
export function graphRow(graphs: readonly GraphSpec[], y: number, region: string): Widget[] {
  const width = Math.floor(DASHBOARD_GRID_WIDTH / graphs.length);
  return graphs.map((graph, index) => ({
    type: "metric",
    x: index * width,
    y,
    width,
    height: GRAPH_HEIGHT,
    properties: {
      title: graph.title,
      region,
      view: "timeSeries",
      stacked: false,
      period: GRAPH_PERIOD_SECONDS,
      metrics: graph.metrics.map(metricRow),
      ...(graph.unit ? { yAxis: { left: { label: graph.unit, showUnits: false } } } : {}),
    },
  }));
}

/** Builds a markdown text widget across the full width, one grid unit high. */
export function headingRow(markdown: string, y: number): Widget {
  return { type: "text", x: 0, y, width: DASHBOARD_GRID_WIDTH, height: 1, properties: { markdown } };
}

/** Builds an alarm status widget across the full width, as high as its number of alarms needs. */
export function alarmStatusRow(title: string, alarmArns: readonly string[], y: number, region: string): Widget {
  const ALARMS_PER_GRID_ROW = 4;
  const height = Math.max(2, Math.ceil(alarmArns.length / ALARMS_PER_GRID_ROW) + 1);
  return {
    type: "alarm",
    x: 0,
    y,
    width: DASHBOARD_GRID_WIDTH,
    height,
    properties: { title, region, alarms: [...alarmArns] },
  };
}
