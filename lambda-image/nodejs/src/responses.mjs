// API Gateway proxy integration responses with JSON bodies.

const JSON_HEADERS = Object.freeze({ 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });

function proxyResponse(statusCode, body) {
  return {
    statusCode,
    headers: { ...JSON_HEADERS },
    body: JSON.stringify(body),
    isBase64Encoded: false,
  };
}

export function successResponse(result, connectionReused) {
  return proxyResponse(200, {
    currentUser: result.currentUser,
    database: result.database,
    serverVersion: result.serverVersion,
    tls: result.tls,
    connectionReused,
  });
}

/** Build the error response from the error's public message only, never its cause. */
export function errorResponse(error, requestId) {
  return proxyResponse(error.statusCode, {
    error: {
      failureClass: error.failureClass,
      message: error.publicMessage,
      requestId: requestId ?? null,
    },
  });
}
