// Failures that the handler reports to the caller, one class per failure class.
// `publicMessage` goes into the response body, so it never contains the auth token, the
// password or driver details. The log line gets the class name, `sqlstate` and `message`,
// which never contains the server's message text.

export class HandlerError extends Error {
  static failureClass = 'internal';
  static statusCode = 500;
  static publicMessage = 'The request failed.';

  /** SQLSTATE of the server error behind this failure, or null when the server sent none. */
  sqlstate = null;

  get failureClass() {
    return this.constructor.failureClass;
  }

  get statusCode() {
    return this.constructor.statusCode;
  }

  get publicMessage() {
    return this.constructor.publicMessage;
  }
}

/** One missing or malformed environment variable. */
export class ConfigurationProblem {
  constructor(variable, reason) {
    this.variable = variable;
    this.reason = reason;
  }

  toString() {
    return `${this.variable} ${this.reason}`;
  }
}

/** Environment variables are missing or malformed; fixing them needs a redeploy. */
export class ConfigurationError extends HandlerError {
  static failureClass = 'configuration';
  static statusCode = 500;

  constructor(problems, options) {
    super(`invalid function configuration: ${problems.map(String).join('; ')}`, options);
    this.name = 'ConfigurationError';
    this.problems = Object.freeze([...problems]);
  }

  get variables() {
    return this.problems.map((problem) => problem.variable);
  }

  /** Names only the variables, because their values and the CA path are for the log line. */
  get publicMessage() {
    return `invalid function configuration: ${this.variables.join(', ')}`;
  }
}

/** TLS negotiation failed: the server rejected TLS, or its certificate or host name did not verify. */
export class DatabaseTlsError extends HandlerError {
  static failureClass = 'tls';
  static statusCode = 500;
  static publicMessage = 'The TLS connection to the database could not be verified.';
  name = 'DatabaseTlsError';
}

/** The database rejected the login (IAM token, user or database name). */
export class DatabaseAuthenticationError extends HandlerError {
  static failureClass = 'authentication';
  static statusCode = 500;
  static publicMessage = 'The database rejected the IAM authentication.';
  name = 'DatabaseAuthenticationError';
}

/** The database endpoint refused, reset or closed the connection. */
export class DatabaseUnreachableError extends HandlerError {
  static failureClass = 'unreachable';
  static statusCode = 503;
  static publicMessage = 'The database is unreachable.';
  name = 'DatabaseUnreachableError';
}

/** Connecting or the probe statement took longer than its timeout. */
export class DatabaseTimeoutError extends HandlerError {
  static failureClass = 'timeout';
  static statusCode = 503;
  static publicMessage = 'The database did not respond in time.';
  name = 'DatabaseTimeoutError';
}
