"""The Windows kernel pieces wdfkit needs: statuses, bug checks, virtual time, memory and pool."""
