// The lab of the ILB hairpin write-up, in Bicep: one IIS web server (VM-WE-02-Web01, 10.2.1.4)
// behind an internal load balancer whose frontend is 10.2.1.100:80.
@description('Where the lab goes.')
param location string = resourceGroup().location

param adminUsername string = 'labadmin'

@secure()
param adminPassword string

param vmName string = 'VM-WE-02-Web01'

var subnetName = 'snet-web'
var frontendIp = '10.2.1.100'

resource vnet 'Microsoft.Network/virtualNetworks@2023-09-01' = {
  name: 'vnet-we-02-spoke'
  location: location
  properties: {
    addressSpace: { addressPrefixes: ['10.2.0.0/16'] }
    subnets: [
      {
        name: subnetName
        properties: { addressPrefix: '10.2.1.0/24' }
      }
    ]
  }
}

resource ilb 'Microsoft.Network/loadBalancers@2023-09-01' = {
  name: 'ilb-we-02-web'
  location: location
  sku: { name: 'Standard' }
  properties: {
    frontendIPConfigurations: [
      {
        name: 'fe-web'
        properties: {
          privateIPAllocationMethod: 'Static'
          privateIPAddress: frontendIp
          subnet: { id: vnet.properties.subnets[0].id }
        }
      }
    ]
    backendAddressPools: [
      { name: 'be-web' }
    ]
    probes: [
      {
        name: 'probe-http'
        properties: { protocol: 'Tcp', port: 80, intervalInSeconds: 5, numberOfProbes: 2 }
      }
    ]
    loadBalancingRules: [
      {
        name: 'rule-http'
        properties: {
          frontendIPConfiguration: { id: resourceId('Microsoft.Network/loadBalancers/frontendIPConfigurations', 'ilb-we-02-web', 'fe-web') }
          backendAddressPool: { id: resourceId('Microsoft.Network/loadBalancers/backendAddressPools', 'ilb-we-02-web', 'be-web') }
          probe: { id: resourceId('Microsoft.Network/loadBalancers/probes', 'ilb-we-02-web', 'probe-http') }
          protocol: 'Tcp'
          frontendPort: 80
          backendPort: 80
          enableFloatingIP: false
          idleTimeoutInMinutes: 4
        }
      }
    ]
  }
}

resource nic 'Microsoft.Network/networkInterfaces@2023-09-01' = {
  name: '${vmName}-nic'
  location: location
  properties: {
    ipConfigurations: [
      {
        name: 'ipconfig1'
        properties: {
          privateIPAllocationMethod: 'Static'
          privateIPAddress: '10.2.1.4'
          subnet: { id: vnet.properties.subnets[0].id }
          loadBalancerBackendAddressPools: [
            { id: ilb.properties.backendAddressPools[0].id }
          ]
        }
      }
    ]
  }
}

resource vm 'Microsoft.Compute/virtualMachines@2023-09-01' = {
  name: vmName
  location: location
  properties: {
    hardwareProfile: { vmSize: 'Standard_D2s_v5' }
    osProfile: {
      computerName: 'web01'
      adminUsername: adminUsername
      adminPassword: adminPassword
      windowsConfiguration: { provisionVMAgent: true }
    }
    storageProfile: {
      imageReference: {
        publisher: 'MicrosoftWindowsServer'
        offer: 'WindowsServer'
        sku: '2016-Datacenter'
        version: 'latest'
      }
      osDisk: { createOption: 'FromImage', managedDisk: { storageAccountType: 'Premium_LRS' } }
    }
    networkProfile: {
      networkInterfaces: [
        { id: nic.id }
      ]
    }
  }
}
