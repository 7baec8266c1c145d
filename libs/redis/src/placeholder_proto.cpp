// Replaced by the RESP codec.
