using { txo } from '../db/schema';

// Read-only OData v4 service at /odata/v4/customers, server page limit 100.
@path: 'customers'
@readonly
@cds.query.limit: { default: 100, max: 100 }
service CustomerService {
  entity Customers as projection on txo.Customers;
}
