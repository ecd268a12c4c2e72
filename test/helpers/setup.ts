import nock from 'nock';

// Tests never reach the internet: third-party APIs are nock'd, our own servers listen on loopback.
nock.disableNetConnect();
nock.enableNetConnect(/^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/);
