package localdeploy

// MotoSerial is a Python program that runs moto's own server application, as moto_server does, but
// handling one request at a time; its arguments are the host and the port. moto's DynamoDB checks a
// condition and writes without a lock, so under moto_server's threads two concurrent conditional
// writes can both pass; DynamoDB settles each conditional write atomically. Serving requests one by
// one restores that guarantee while the clients stay truly concurrent.
const MotoSerial = `import sys
from werkzeug.serving import run_simple
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
run_simple(sys.argv[1], int(sys.argv[2]), DomainDispatcherApplication(create_backend_app), threaded=False)
`
