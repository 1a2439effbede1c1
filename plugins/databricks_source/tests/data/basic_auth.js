// json-server middleware for the probe tests: every request needs HTTP Basic credentials
// $SHOP_USER:$SHOP_PASSWORD; without them the answer is 401 with
// `WWW-Authenticate: Basic realm="shop"` (RFC 7617), as a real Basic-protected API answers.
module.exports = (req, res, next) => {
  const pair = `${process.env.SHOP_USER || ''}:${process.env.SHOP_PASSWORD || ''}`;
  const expected = `Basic ${Buffer.from(pair).toString('base64')}`;
  if (!process.env.SHOP_USER || req.headers.authorization !== expected) {
    res.set('WWW-Authenticate', 'Basic realm="shop"');
    res.status(401).jsonp({ error: 'unauthorized' });
    return;
  }
  next();
};
