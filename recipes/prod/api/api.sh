#!/bin/sh
# a stand-in API server
exec httpd -f -p 8081 -h /app
