-- wrk script: JSON logins of the demo user (successful ones are never
-- throttled).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = string.format('{"username":"%s","password":"%s"}',
  os.getenv("ENCORE_DEMO_USER"), os.getenv("ENCORE_DEMO_PASSWORD"))
