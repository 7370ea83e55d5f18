package dkim

// RSAModulusBits exposes rsaModulusBits to the tests.
var RSAModulusBits = rsaModulusBits
