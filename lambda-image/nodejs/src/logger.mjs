// A small structured logger: one JSON object per line on stdout.

const LEVELS = Object.freeze({ debug: 10, info: 20, warn: 30, error: 40 });

/**
 * Create a logger whose methods take a message and an object of fields to merge into the line.
 * `write` receives each finished line; tests pass their own to collect lines.
 */
export function createLogger({ level = 'info', write = (line) => process.stdout.write(`${line}\n`) } = {}) {
  const threshold = LEVELS[level] ?? LEVELS.info;

  const log = (levelName, message, fields = {}) => {
    if (LEVELS[levelName] < threshold) {
      return;
    }
    write(JSON.stringify({ timestamp: new Date().toISOString(), level: levelName.toUpperCase(), message, ...fields }));
  };

  return Object.freeze({
    debug: (message, fields) => log('debug', message, fields),
    info: (message, fields) => log('info', message, fields),
    warn: (message, fields) => log('warn', message, fields),
    error: (message, fields) => log('error', message, fields),
  });
}
