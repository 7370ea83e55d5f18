package main

import "time"

var zeroTime = time.Unix(0, 0).UTC()
