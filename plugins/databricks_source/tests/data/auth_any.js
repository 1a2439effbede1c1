// json-server middleware for the auth tests: a request is let in with the token $SHOP_API_TOKEN
// as `Authorization: Bearer <token>`, as HTTP Basic `shop:<token>`, or as the query parameter
// `api_key=<token>` (removed before json-server sees it, or it would filter on it).
module.exports = (req, res, next) => {
  const token = process.env.SHOP_API_TOKEN || '';
  const basic = 'Basic ' + Buffer.from(`shop:${token}`).toString('base64');
  const auth = req.headers.authorization;
  const ok = token && (auth === `Bearer ${token}` || auth === basic || req.query.api_key === token);
  delete req.query.api_key;
  if (!ok) {
    res.status(401).jsonp({ error: 'unauthorized' });
    return;
  }
  next();
};
