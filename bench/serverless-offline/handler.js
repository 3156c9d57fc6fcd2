'use strict';

// hello answers every event with the same plain-text greeting, like examples/hello's GET /.
module.exports.hello = async () => ({
  statusCode: 200,
  headers: { 'Content-Type': 'text/plain' },
  body: 'Hello',
});
