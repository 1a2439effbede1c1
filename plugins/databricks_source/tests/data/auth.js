// json-server middleware: every request needs `Authorization: Bearer $SHOP_API_TOKEN`,
// as a real API's token check would.
module.exports = (req, res, next) => {
  const expected = `Bearer ${process.env.SHOP_API_TOKEN || ''}`;
  if (!process.env.SHOP_API_TOKEN || req.headers.authorization !== expected) {
    res.status(401).jsonp({ error: 'unauthorized' });
    return;
  }
  next();
};
