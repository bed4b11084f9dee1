// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! A fixed 2048-bit RSA key for the stand-in's message-verification certificates (ring cannot
//! generate RSA keys, and PayPal signs with RSA). Made for these tests with `openssl genpkey`;
//! it protects nothing.

pub const LEAF_KEY_PEM: &str = "\
-----BEGIN PRIVATE KEY-----\n\
MIIEvwIBADANBgkqhkiG9w0BAQEFAASCBKkwggSlAgEAAoIBAQCxqE6AWWNC9pec\n\
5mYfdu0XPw1vwiHOFPZCbtdBPmsla3VjBJqovpvq9rQXny99nRwBFoQ5u+YgxZf8\n\
EPP2CcE1CRdpA9QUX5kQ3x1lZwkZItIEjK2IRKSR4F1OFg+psJknfz4T+OWpi1Ta\n\
M/yNqC/EXNav/wrS40QmvxkIDL2SQvjrtiAw8cEidelGVU7V5Vv5RchrjEjFcHF6\n\
9U4BNHaKJB8hJ01NDTlOyh9ienP9aNEhSxdXjF861spPw7yyDxQLcUmypIzvpg01\n\
rZmn9aXLw5Tbjh8oEHOwLF0aGOZtjPmobE4f/MBX8ydjrujoe66HKLQpTnPVqrOC\n\
/Oc3GisjAgMBAAECggEAFQXrtDiKYdmN0MgFpwzgZZ3VLeJ1NE6QDbB8JyuxwOMv\n\
KEvahBl6Q0XKbfktGi+bVBhMBrZQ4elAC64d5db7AWxVVDIFyMYUoPB7frfAqzQk\n\
UjGA34fv9ECZX1eGUaL6R2Lr/6+2eGe/33UYxSf1RHFlXmeklOwb8ScwA8nY176D\n\
76RPZrLERS4HS6ZzGV68HyK500XbCE5gUDwg6I3jOaoHR8BLNbxxyt7J7kAj9iPh\n\
lOZ6sE6p+yYBcQdnoQIkZpIhydg4NeAl9e2SW6+4xKl6FfU68y5syzLmQFwd+BD8\n\
PMXkCUlNi+qsbzQhyJeJvW54PkmCuhxUKsWCSV2Y4QKBgQDfvXr6qk+ubXMoehKp\n\
daS7TqrDu2EpWbDcaZzqcawq4KK4MULzBeEu6yGSr2gc4q5azPC0hATD4JP5gHA8\n\
J1nHIt97uQ/yuq94851XnqnkAjkQerJXoh9iV+ToMChmRCgBcM6ybP3u8fDkK4Iz\n\
J2te1L+amH0cOq+vY9doxFtGCQKBgQDLRduVIYIhwt1qJb8iHS67MDjh2iUmIKNf\n\
J2zRLH/f2IOBawJ4OkmnmnUBm2P0cMzpqTrGxnURZqEHBXpX+HCBi9ExbCU0UHWV\n\
T9U6Of5NNPfR7OhWSXHfLskGuvzbe2cSepOoGAxj8U1FSsX5RI1XK0jZagdVl+MF\n\
HqEGVKUSywKBgQDfMMVdCEg0WDpoRl4XbaPGtdLjLijedvpW5YQC2yJEI5Iu6/U9\n\
OMBJbYUwLopNRlNngMkdShT20TDL07QiTZ7hZ4hIg3PFTzV8EokCvuP677y9E6iU\n\
gsWL9OIEPQYP/i1qQn3uv4sQsYj8E+rt3ITfNJtuPG+RmXloHNDlUfs7AQKBgQCR\n\
w+KWqpS6yRYlzDOnru2X5hikPN5u3PDKh2cNCLAaQRTsdWQr+wBeY/CL2nZvD4Sh\n\
+mzfpejFNac7db4p30ouW6kDm92CCkCHddweCQBHNTiRHSXu2nQB63bUkLpKWc+r\n\
/KJt4/DeqmcSzW/yNCp22989qT7hLi3pufEWrRRCyQKBgQCxd8m448cdQ9vQHsgP\n\
5IzmMUx/mPNjIdc6+bh2wqs5DAxxyImB0LQ26qqv9Zd7+vwQMKESnMLHgAX8N9g8\n\
hrDZ95FKNr5GCAgdprStXwjLg2GiV3L0MtyjpphMXaWHJxeYr1lDMi1Xfo5G7LbN\n\
YSg3N8vHllreuIS9orE1wxh5rQ==\n\
-----END PRIVATE KEY-----\n\
";
