/** Values a log line may carry. Secrets never reach here: callers pass ids and outcomes only. */
export type LogFields = Readonly<Record<string, string | number | boolean | undefined | null>>;

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Where finished lines go; stdout by default (Lambda ships it to CloudWatch as-is). */
export type LogSink = (line: string) => void;

/**
 * Structured JSON logger: one line per call, correlation fields appended once per request with
 * `child`. Deliberately tiny — it is on the cold-start path.
 */
export class Logger {
  constructor(
    private readonly sink: LogSink = (line) => process.stdout.write(`${line}\n`),
    private readonly level: LogLevel = 'info',
    private readonly fields: LogFields = {},
  ) {}

  child(fields: LogFields): Logger {
    return new Logger(this.sink, this.level, { ...this.fields, ...fields });
  }

  debug(message: string, fields?: LogFields): void {
    this.write('debug', message, fields);
  }
  info(message: string, fields?: LogFields): void {
    this.write('info', message, fields);
  }
  warn(message: string, fields?: LogFields): void {
    this.write('warn', message, fields);
  }
  error(message: string, fields?: LogFields): void {
    this.write('error', message, fields);
  }
  /**
   * An info line written whatever LOG_LEVEL says: other components read it (the task trail's log
   * subscription), so turning logging down must not turn the trail off.
   */
  record(message: string, fields?: LogFields): void {
    this.write('info', message, fields, true);
  }

  private write(level: LogLevel, message: string, fields?: LogFields, always = false): void {
    if (!always && RANK[level] < RANK[this.level]) return;
    const line = { time: new Date().toISOString(), level, message, ...this.fields, ...fields };
    this.sink(JSON.stringify(line));
  }
}

export function logLevelFrom(value: string | undefined): LogLevel {
  return value !== undefined && value.toLowerCase() in RANK ? (value.toLowerCase() as LogLevel) : 'info';
}
