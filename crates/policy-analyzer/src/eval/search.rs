//! Questions over many requests: is there any request of a kind that the
//! policy allows? (Filled in next: the search for outside access.)
