import type { KubeObject } from '@edgemesh/common'
import { describe, expect, it } from 'vitest'
import { crdToResourceDefinitions, customResourceDefinitionsResource, evalJsonPath, validateCrd } from '../../../src/api-server/resources/crds.js'
import { ctxWith, fakeServiceClient } from './fake-client.js'

const crd = (spec: Record<string, unknown> = {}, name = 'widgets.example.io'): KubeObject => ({
  apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name },
  spec: {
    group: 'example.io', scope: 'Namespaced',
    names: { plural: 'widgets', kind: 'Widget', shortNames: ['wd'] },
    versions: [
      { name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object' } }, subresources: { status: {}, scale: { specReplicasPath: '.spec.replicas' } },
        additionalPrinterColumns: [{ name: 'Size', type: 'integer', jsonPath: '.spec.size' }, { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' }, { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' }] },
      { name: 'v1alpha1', served: false, storage: false, schema: { openAPIV3Schema: { type: 'object' } } }
    ],
    ...spec
  }
})

describe('custom resource definitions', () => {
  it('accepts a well-formed CRD', () => {
    expect(validateCrd(crd(), undefined)).toEqual([])
  })

  it('requires the name to be plural.group', () => {
    expect(validateCrd(crd({}, 'widget.example.io'), undefined).map(c => c.field)).toEqual(['metadata.name'])
  })

  it('requires exactly one storage version', () => {
    const c = crd({ versions: [{ name: 'v1', served: true, storage: false, schema: { openAPIV3Schema: {} } }] })
    expect(validateCrd(c, undefined).map(x => x.message).join()).toMatch(/exactly one version marked as storage/)
  })

  it('rejects a group without a dot and an unknown scope', () => {
    const c = crd({ group: 'example', scope: 'Global' }, 'widgets.example')
    expect(validateCrd(c, undefined).map(x => x.field).sort()).toEqual(['spec.group', 'spec.scope'])
  })

  it('marks a created CRD Established and records its stored version', async () => {
    const c = crd()
    await customResourceDefinitionsResource().prepareForCreate?.(c, ctxWith(fakeServiceClient([])))
    expect(c.status).toMatchObject({ conditions: [{ type: 'NamesAccepted' }, { type: 'Established', status: 'True' }], storedVersions: ['v1'] })
    expect((c.spec as { names: Record<string, unknown> }).names).toMatchObject({ singular: 'widget', listKind: 'WidgetList' })
  })

  it('turns each served version into a resource definition with its subresources and columns', () => {
    const defs = crdToResourceDefinitions(crd())
    expect(defs).toHaveLength(1)
    const d = defs[0]!
    expect(d).toMatchObject({ group: 'example.io', version: 'v1', resource: 'widgets', kind: 'Widget', singular: 'widget', namespaced: true, shortNames: ['wd'], subresources: ['status', 'scale'] })
    expect(d.columns?.map(c => c.name)).toEqual(['Size', 'Ready'])
    expect(d.cells?.({ metadata: {}, spec: { size: 3 }, status: { conditions: [{ type: 'Ready', status: 'True' }] } }, new Date())).toEqual([3, 'True'])
  })

  it('makes a cluster-scoped CRD cluster-scoped', () => {
    expect(crdToResourceDefinitions(crd({ scope: 'Cluster' }))[0]?.namespaced).toBe(false)
  })

  it('evaluates the JSONPath subset printer columns use', () => {
    const o = { spec: { a: [{ b: 1 }, { b: 2 }] } }
    expect(evalJsonPath(o, '.spec.a[1].b')).toBe(2)
    expect(evalJsonPath(o, '{.spec.a[0].b}')).toBe(1)
    expect(evalJsonPath(o, '.spec.missing.x')).toBeUndefined()
  })
})

describe('shipped CRDs', () => {
  it('loads Device, DeviceModel and DestinationRule and each one validates', async () => {
    const { shippedCrds } = await import('../../../src/api-server/resources/shipped-crds.js')
    const crds = await shippedCrds()
    expect(crds.map(c => c.metadata.name).sort()).toEqual(['destinationrules.networking.istio.io', 'devicemodels.devices.kubeedge.io', 'devices.devices.kubeedge.io'])
    for (const c of crds) expect(validateCrd(c, undefined), c.metadata.name).toEqual([])
    const dr = crds.find(c => c.metadata.name === 'destinationrules.networking.istio.io')!
    expect(crdToResourceDefinitions(dr).map(d => d.version)).toEqual(['v1beta1', 'v1alpha3'])
  })
})
